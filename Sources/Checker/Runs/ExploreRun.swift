import Foundation
import MMUFast
import MMUSpec

/// The outcome of exploring one spec, independent of the model level: what the
/// reports and trace files need.
public struct ExploreOutcome: Sendable {
    public let spec: CheckSpec
    public let stats: ExplorerStats
    public let incomplete: IncompleteReason?
    public let violations: [TraceRecord]
    /// The engine that ran ("fast" or "spec"), and why `auto` chose the spec, if it did.
    public var engine = "spec"
    public var engineNote: String? = nil
    /// Whether states differing only in stale types were merged (hypervisor level).
    public var staleTypesMerged = false
    /// Whether states were stored one per symmetry class (frames and slots at the
    /// hypervisor level, vCPUs at the guest level).
    public var symmetry = false
    public var complete: Bool { incomplete == nil }

    /// 0 holds, 1 violation, contradicted or vacuous, 3 incomplete.
    public var exitCode: Int32 {
        !violations.isEmpty || !contradicted.isEmpty ? 1 : (incomplete != nil ? 3 : (unmet.isEmpty ? 0 : 1))
    }
    /// "violation"; "contradicted" (an operation the spec says cannot fire, `not-reached:`,
    /// fired: the spec's account of what it covers is wrong, whether or not the run
    /// finished); "incomplete"; "vacuous" (complete, no violation, but an `expect-reached:`
    /// condition was never met: the run exercised less than the spec says it must); "holds".
    public var verdict: String {
        !violations.isEmpty ? "violation" : !contradicted.isEmpty ? "contradicted"
            : (incomplete != nil ? "incomplete" : (unmet.isEmpty ? "holds" : "vacuous"))
    }

    /// The spec's `not-reached:` operations that fired anyway, with how often.
    /// (`CoverageGaps.claims`, the one reading of the claims.)
    public var contradicted: [(operation: String, why: String, line: Int, fired: Int)] {
        guard let c = stats.coverage else { return [] }
        return CoverageGaps.claims(spec, c).filter { $0.fired > 0 }.map { ($0.operation, $0.why, $0.line, $0.fired) }
    }

    /// The spec's `expect-reached:` conditions the run did not meet (so far, when incomplete).
    public var unmet: [ReachCondition] { spec.expectReached.filter { !met($0) } }

    /// "met", "missed" (a complete search without a violation never met it), or "not reached
    /// yet" (a search cut short by a bound, or stopped at a violation, had not met it).
    public func status(_ c: ReachCondition) -> String {
        met(c) ? "met" : (complete && violations.isEmpty ? "missed" : "not reached yet")
    }

    /// How often an operation or outcome condition was met (nil: a state predicate, which
    /// records only its first depth).
    public func count(_ c: ReachCondition) -> Int? {
        switch c.kind {
        case .operation(let op): stats.coverage?.fired(op) ?? 0
        case .outcome(let op, let outcome): stats.coverage?.count(op, outcome: outcome) ?? 0
        case .state: nil
        }
    }

    /// The depth of the first state meeting a state predicate (nil: not met, or not one).
    public func firstDepth(_ c: ReachCondition) -> Int? {
        guard case .state(let name) = c.kind else { return nil }
        return stats.witnesses.first { $0.name == name }?.depth
    }

    public func met(_ c: ReachCondition) -> Bool {
        switch c.kind {
        case .operation(let op): (stats.coverage?.fired(op) ?? 0) > 0
        case .outcome(let op, let outcome): (stats.coverage?.count(op, outcome: outcome) ?? 0) > 0
        case .state(let name): stats.witnesses.first { $0.name == name }?.reached ?? false
        }
    }
}

/// Runs the explorer on the model a spec describes.
public enum ExploreRun {
    /// `engine` overrides the spec's choice (the command line's `--engine`).
    public static func run(_ spec: CheckSpec, options: ExplorerOptions, engine requested: CheckSpec.Engine? = nil,
                           hypervisorMutations: Set<XenMutation> = [],
                           guestMutations: Set<GuestMutation> = [],
                           fastDefects: Set<FastDefect> = [],
                           progress: ((ExplorerStats) -> Void)? = nil) -> ExploreOutcome {
        // Operation and outcome conditions are judged on the coverage counts.
        var options = options
        if spec.expectReached.contains(where: \.needsCoverage) || !spec.notReached.isEmpty { options.coverage = true }
        switch spec.level {
        case .hypervisor:
            // Test-only mutations run on the spec unless the fast engine is asked for: with a
            // rule removed, stored counts (what Xen would keep) and derived counts can differ,
            // so the engines are no longer comparable.
            let (engine, fallback) = hypervisorMutations.isEmpty || requested == .fast
                ? Engines.resolve(spec, requested: requested)
                : (.spec, "test-only mutations run on the spec engine")
            if engine == .fast, let model = try? FastHypervisorModel(spec: spec, mutations: hypervisorMutations, defects: fastDefects) {
                let r = Explorer(model: model, options: options).run(progress: progress)
                let traces = r.violations.map { v in
                    TraceRecord(spec: spec, model: model, mutations: hypervisorMutations.map(\.rawValue).sorted(),
                                violation: v, describe: { model.xenAction($0).description },
                                encode: { encodeState(model.specState($0)) })
                }
                return ExploreOutcome(spec: spec, stats: r.stats, incomplete: r.incomplete, violations: traces, engine: "fast",
                                      staleTypesMerged: model.mergesStaleTypes, symmetry: options.symmetry)
            }
            let model = HypervisorModel(spec: spec, mutations: hypervisorMutations)
            let r = Explorer(model: model, options: options).run(progress: progress)
            let traces = r.violations.map {
                TraceRecord(spec: spec, model: model, mutations: hypervisorMutations.map(\.rawValue).sorted(),
                            violation: $0, describe: { $0.description }, encode: encodeState)
            }
            return ExploreOutcome(spec: spec, stats: r.stats, incomplete: r.incomplete, violations: traces,
                                  engine: "spec", engineNote: fallback ?? (engine == .fast ? "the fast engine cannot run this configuration" : nil),
                                  staleTypesMerged: model.mergesStaleTypes, symmetry: options.symmetry)
        case .guest:
            return GuestModelSupport.explore(spec, options: options, mutations: guestMutations, progress: progress)
        }
    }

    static func encodeState<S: Encodable>(_ s: S) -> Any {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        guard let data = try? enc.encode(s), let obj = try? JSONSerialization.jsonObject(with: data) else { return NSNull() }
        return obj
    }
}

/// A counterexample ready to print or write as a trace file.
public struct TraceRecord: @unchecked Sendable {
    public let spec: CheckSpec
    public let mutations: [String]
    public let invariant: String
    public let message: String
    /// Human descriptions of the actions, in order.
    public let actions: [String]
    /// Index of each action in the model's action list at its state (for replay).
    public let actionIndices: [Int]
    /// JSON objects of the states, initial first.
    public let states: [Any]

    init<M: Model>(spec: CheckSpec, model: M, mutations: [String], violation: Violation<M>,
                   describe: (M.Action) -> String, encode: (M.State) -> Any) {
        self.spec = spec
        self.mutations = mutations
        invariant = violation.invariant
        // A trace the explorer could not rebuild says so where every report shows the message.
        message = violation.message + (violation.traceError.map { " [\($0)]" } ?? "")
        actions = violation.steps.map { describe($0.action) }
        var indices: [Int] = []
        var prev = violation.initial
        for step in violation.steps {
            indices.append(model.actions(in: prev).firstIndex(of: step.action) ?? -1)
            prev = step.state
        }
        actionIndices = indices
        states = [encode(violation.initial)] + violation.steps.map { encode($0.state) }
    }
}

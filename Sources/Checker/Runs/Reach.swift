import Foundation
import MMUSpec

/// A state file: one hypervisor state with the configuration and test-only mutations it
/// belongs to (`mmucheck prove --cti-out` writes the pre-states of counterexamples to
/// induction as these; `mmucheck reach` reads them). docs/proofs.md.
public enum StateFile {
    public static let formatName = "mmucheck-state"

    public static func object(_ s: XenState, obligation: String?) -> [String: Any] {
        let meta: [String: Any] = ["format": formatName, "version": 1, "tool": "mmucheck \(MMUCheckInfo.version)",
                                   "model": "hypervisor", "obligation": obligation ?? NSNull(),
                                   "mutations": s.mutations.map(\.rawValue).sorted(), "description": s.description]
        return ["#meta": meta, "state": ExploreRun.encodeState(s)]
    }

    public static func write(_ s: XenState, obligation: String?, to path: String) throws {
        try OutputFile.write(jsonText(object(s, obligation: obligation)) + "\n", to: path)
    }

    /// Reads a state file; errors name the file and the key (exit 2).
    public static func load(file: String) throws(SpecError) -> XenState {
        func bad(_ key: String, _ what: String) -> SpecError { SpecError(file: file, line: 1, key: key, message: what) }
        guard let data = FileManager.default.contents(atPath: file) else { throw bad("file", "cannot read the file") }
        if let (offset, why) = StrictJSON.problem(Array(data)) {
            let line = 1 + data.prefix(offset).reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            throw SpecError(file: file, line: line, key: "json", message: "not valid JSON (\(why))")
        }
        guard let top = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw bad("json", "not a JSON object") }
        guard let meta = top["#meta"] as? [String: Any], meta["format"] as? String == formatName else {
            throw bad("#meta.format", "not an \(formatName) file (written by mmucheck prove --cti-out)")
        }
        guard let state = top["state"], let stateData = try? JSONSerialization.data(withJSONObject: state),
              let s = try? JSONDecoder().decode(XenState.self, from: stateData) else {
            throw bad("state", "not a hypervisor state of the trace format")
        }
        guard s.frames.count == s.config.machineFrames, s.cr3.count == s.config.vcpus, s.m2p.count == s.config.machineFrames,
              s.frames.allSatisfy({ $0.entries.count == s.config.entriesPerTable }) else {
            throw bad("state", "the state's frames, entries, cr3s or m2p do not match its configuration's sizes")
        }
        return s
    }
}

/// `mmucheck reach`: can the spec's adversary (its operations and entry values) reach this
/// state at the spec's size? Answered exactly by a breadth-first search under the same
/// reductions as `explore` (symmetry, stale-type merging): reachable (with a shortest trace to
/// a state equal to it up to those reductions), unreachable at this size (a complete search
/// that never met it), or incomplete (a bound cut the search short). A state holding values
/// the adversary never writes is refused (`outsideAdversary`), not answered "unreachable".
public enum Reach {
    public struct Outcome: Sendable {
        public let target: XenState
        public let stats: ExplorerStats
        public let incomplete: IncompleteReason?
        /// A shortest path to the state (as a trace), when it is reachable.
        public let trace: TraceRecord?
        public var verdict: String { trace != nil ? "reachable" : incomplete != nil ? "incomplete" : "unreachable at this size" }
        /// 0 unreachable at this size (the state cannot occur: e.g. a CTI that only says the
        /// invariant needs strengthening), 1 reachable (a real counterexample when it is a
        /// CTI's pre-state), 3 incomplete.
        public var exitCode: Int32 { trace != nil ? 1 : incomplete != nil ? 3 : 0 }
    }

    /// The pseudo-invariant a `reach` trace names: the path ends in the target state, which the
    /// trace does not carry, so `replay` replays such a trace without a verdict on it.
    public static let targetInvariant = "not-the-target-state"

    /// The spec's model with one invariant: "not the target state" (compared as the explorer
    /// stores states: reduced, and canonical under symmetry).
    struct Search: Model {
        let base: HypervisorModel
        let targetKey: XenState
        let symmetric: Bool
        func initialStates() -> [XenState] { base.initialStates() }
        func actions(in state: XenState) -> [XenAction] { base.actions(in: state) }
        func next(_ state: XenState, _ action: XenAction) -> XenState? { base.next(state, action) }
        var invariants: [NamedInvariant<XenState>] {
            let (b, t, sym) = (base, targetKey, symmetric)
            return [NamedInvariant(Reach.targetInvariant) { s in b.key(s, symmetric: sym) == t ? "reached the state" : nil }]
        }
        func canonical(_ state: XenState) -> XenState { base.canonical(state) }
        func reduced(_ state: XenState) -> XenState { base.reduced(state) }
    }

    /// Why the spec's adversary can never produce `target`, whatever it does (nil: it might):
    /// a frame Xen owns (the explorer's machine has none), or an entry value the adversary
    /// never writes (`XenState.entryValues` of the spec's entry-flags). Then "unreachable"
    /// would say nothing about the model, only about the spec's adversary: `run` refuses.
    public static func outsideAdversary(_ spec: CheckSpec, _ target: XenState) -> String? {
        if let f = target.frames.firstIndex(where: { $0.owner == .xen }) { return "frame \(f) is owned by Xen" }
        let values = Set(XenState.entryValues(config: spec.config, flagChoices: spec.entryFlags))
        for (f, frame) in target.frames.enumerated() {
            if let (k, e) = frame.entries.enumerated().first(where: { !values.contains($0.element) }) {
                return "entry \(f)[\(k)] = \(e) is not one of the spec's entry values (entry-flags)"
            }
        }
        return nil
    }

    /// Searches the spec's state space for `target` (whose configuration must be the spec's).
    /// States are compared exactly: full states (no fingerprints), reduced and canonical as
    /// `explore` stores them; symmetry is used only where its representative is unique (up
    /// to `Symmetry.maxArrangements` renamings), so a member of the target's class is never
    /// missed.
    public static func run(_ spec: CheckSpec, target: XenState, options: ExplorerOptions,
                           progress: ((ExplorerStats) -> Void)? = nil) throws(SpecError) -> Outcome {
        guard target.config == spec.config else {
            let differ = zip(Mirror(reflecting: target.config).children, Mirror(reflecting: spec.config).children)
                .filter { "\($0.value)" != "\($1.value)" }
                .map { "\($0.label ?? "?"): \($0.value) in the state, \($1.value) in the spec" }
            throw SpecError(file: spec.file, line: 1, key: "sizes",
                            message: "the state's configuration is not this spec's (\(differ.joined(separator: "; ")))")
        }
        if let why = outsideAdversary(spec, target) {
            throw SpecError(file: spec.file, line: 1, key: "entry-flags",
                            message: "the state lies outside what this spec's adversary can write (\(why)): reach cannot decide it; "
                                + "use a spec whose entry-flags include its values")
        }
        // Without stale-type merging under mutations (the reduction is not sound there).
        let base = HypervisorModel(spec: spec, mutations: target.mutations)
        var opts = options
        opts.keepGoing = false
        opts.fullStates = true
        if (1...max(1, spec.config.machineFrames)).reduce(1, *) > Symmetry.maxArrangements { opts.symmetry = false }
        let model = Search(base: base, targetKey: base.key(target, symmetric: opts.symmetry), symmetric: opts.symmetry)
        let r = Explorer(model: model, options: opts).run(progress: progress)
        let trace = r.violations.first.map { v in
            TraceRecord(spec: spec, model: model, mutations: target.mutations.map(\.rawValue).sorted(), violation: v,
                        describe: { $0.description }, encode: ExploreRun.encodeState)
        }
        return Outcome(target: target, stats: r.stats, incomplete: trace == nil ? r.incomplete : nil, trace: trace)
    }
}

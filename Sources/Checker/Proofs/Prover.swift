import MMUSpec
import SMT
import Foundation

/// The outcome of one goal.
public enum GoalStatus: Sendable, Equatable {
    case proved
    /// A counterexample, as (term, value) pairs in hexadecimal.
    case refuted([CounterexampleValue])
    case unknown(reason: String)
}

public struct CounterexampleValue: Sendable, Equatable, Codable {
    public let term: String
    public let value: String
}

public struct GoalResult: Sendable {
    public let name: String
    public let status: GoalStatus
    public let seconds: Double
    /// The goal's explanation of its counterexample (empty when proved or when it has none).
    public var explanation: [String] = []
    /// The state the counterexample starts from, when the goal gives one.
    public var counterexampleState: XenState? = nil
}

/// The outcome of one obligation: its goals, and the verdict against its expectation.
public struct ObligationResult: Sendable {
    public let name: String
    public let summary: String
    public let expectation: ProofObligation.Expectation
    public let goals: [GoalResult]
    public let seconds: Double

    public enum Verdict: String, Sendable, Codable {
        /// Proved (or, for a twin, refuted) as expected.
        case holds
        /// A goal was refuted that should hold, or a twin was proved.
        case fails
        /// The solver gave up on a goal before the verdict was known.
        case incomplete
    }

    public var firstRefuted: GoalResult? { goals.first { if case .refuted = $0.status { true } else { false } } }
    public var firstUnknown: GoalResult? { goals.first { if case .unknown = $0.status { true } else { false } } }

    public var verdict: Verdict {
        switch expectation {
        case .proved:
            if firstRefuted != nil { return .fails }
            if firstUnknown != nil { return .incomplete }
            return .holds
        case .refuted:
            if firstRefuted != nil { return .holds }
            if firstUnknown != nil { return .incomplete }
            return .fails
        }
    }
}

/// Runs proof obligations with Z3, one fresh context per obligation.
public struct Prover: Sendable {
    public var limits: SolverLimits
    /// Where to write every query as a complete SMT-LIB2 script (nil: nowhere).
    public var smt2Directory: String?

    public init(limits: SolverLimits = SolverLimits(timeoutMs: 60_000), smt2Directory: String? = nil) {
        self.limits = limits
        self.smt2Directory = smt2Directory
    }

    public func run(_ obligation: ProofObligation) throws -> ObligationResult {
        let clock = ContinuousClock()
        let start = clock.now
        let ctx = Context()
        var results: [GoalResult] = []
        for goal in obligation.goals(ctx) {
            let t0 = clock.now
            if let dir = smt2Directory {
                try writeScript(ctx, obligation: obligation.name, goal: goal, directory: dir)
            }
            let status: GoalStatus
            var explanation: [String] = []
            var cexState: XenState? = nil
            switch try ctx.prove(goal.formula, limits: limits) {
            case .proved: status = .proved
            case .unknown(let reason): status = .unknown(reason: reason)
            case .counterexample(let model):
                status = .refuted(goal.shown.map { name, term in
                    let v = model.value(term).map { "0x" + String($0, radix: 16) } ?? "?"
                    return CounterexampleValue(term: name, value: v)
                })
                if let e = goal.explain?(model) { explanation = e.lines; cexState = e.state }
            }
            results.append(GoalResult(name: goal.name, status: status, seconds: (clock.now - t0).inSeconds,
                                      explanation: explanation, counterexampleState: cexState))
            // A twin is refuted by its first refuted goal: the rest cannot change the verdict.
            if obligation.expectation == .refuted, case .refuted = status { break }
        }
        return ObligationResult(name: obligation.name, summary: obligation.summary, expectation: obligation.expectation,
                                goals: results, seconds: (clock.now - start).inSeconds)
    }

    /// The script asserts the negated goal: `unsat` means the goal is proved.
    func writeScript(_ ctx: Context, obligation: String, goal: Goal, directory: String) throws {
        let file = "\(obligation)__\(goal.name.replacingOccurrences(of: "/", with: "__")).smt2"
        let text = ctx.smtlibScript(name: "\(obligation)/\(goal.name)", logic: "QF_UFBV", asserting: !goal.formula)
        let url = URL(fileURLWithPath: directory).appendingPathComponent(file)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // OutputFile: never replaces a FIFO, a directory or a dangling symlink; whole or nothing.
        try OutputFile.write("; mmucheck proof obligation \(obligation), goal \(goal.name)\n; unsat = proved, sat = refuted\n" + text,
                             to: url.path)
    }

}

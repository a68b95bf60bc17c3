import Foundation

/// One broken invariant and a shortest path to it.
public struct Violation<M: Model>: Sendable {
    public let invariant: String
    /// The invariant's own sentence: which conjunct broke, where.
    public let message: String
    /// The initial state the path starts from.
    public let initial: M.State
    /// The actions from `initial`, each with the state it leads to. When `traceError` is
    /// set, only the steps rebuilt before the replay failed.
    public let steps: [(action: M.Action, state: M.State)]
    /// nil when `steps` replay to the state that broke the invariant; otherwise why the
    /// trace could not be rebuilt (a model whose `actions(in:)` or `next` is not a function
    /// of the state: see `TraceRebuild`). The invariant did break: only the path is partial.
    public let traceError: String?
    /// The path's length (short of the violation's depth when `traceError` is set).
    public var depth: Int { steps.count }

    init(invariant: String, message: String, initial: M.State, steps: [(action: M.Action, state: M.State)],
         traceError: String? = nil) {
        self.invariant = invariant
        self.message = message
        self.initial = initial
        self.steps = steps
        self.traceError = traceError
    }
}

/// Set from a signal handler (Ctrl-C) to stop a run early; the run then
/// reports "interrupted" with what it reached.
public enum ExplorerInterrupt {
    nonisolated(unsafe) public static let flag: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()
}

/// The result of a run.
public struct ExplorationResult<M: Model>: Sendable {
    public let stats: ExplorerStats
    /// nil when every reachable state (within no bound) was checked.
    public let incomplete: IncompleteReason?
    public let violations: [Violation<M>]
    public var complete: Bool { incomplete == nil }
}

/// Breadth-first explorer over any `Model`: the first counterexample is a
/// shortest one. States are stored as 64-bit fingerprints of their canonical
/// form (or in full), each with a link to its parent and the index of the
/// action that reached it, so traces are rebuilt by replaying actions.
///
/// Determinism: each BFS level is expanded in order (in parallel chunks when
/// `threads > 1`, merged in order), so counts and traces are the same on every
/// run and for every thread count.
///
/// The parts, one job a file: expanding one state into its candidate successors
/// (`ExplorerExpansion.swift`), the run's bookkeeping and its level loop, merge and bounds
/// (`ExplorerRun.swift`), and rebuilding a trace from the links (`TraceRebuild.swift`).
public struct Explorer<M: Model>: Sendable {
    public let model: M
    public let options: ExplorerOptions

    /// `model.actionAliases`, read once.
    let aliases: [Int?]
    /// The model's operations, outcomes and invariants, with every count zero: the shape of
    /// `ExplorerStats.coverage` and of the workers' per-state blocks.
    let coverageShape: Coverage

    public init(model: M, options: ExplorerOptions = ExplorerOptions()) {
        self.model = model
        self.options = options
        self.aliases = model.actionAliases
        coverageShape = Coverage(operations: model.operationNames, outcomes: model.outcomeLabels,
                                 invariants: model.invariants.map(\.name))
    }

    /// Explores. `interrupt` is polled between batches (Ctrl-C sets the global one);
    /// the caller clears it before the run.
    public func run(interrupt: UnsafeMutablePointer<Int32> = ExplorerInterrupt.flag,
                    progress: ((ExplorerStats) -> Void)? = nil) -> ExplorationResult<M> {
        var run = Run(explorer: self, interrupt: interrupt, progress: progress)
        defer { run.deallocate() }
        run.discoverInitialStates()
        while run.continues { run.exploreLevel() }
        return run.finish()
    }
}

/// Resident memory of this process in bytes (Linux `/proc/self/statm`), 0 if unknown.
func residentBytes() -> UInt64 {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = UInt64(fields[1]) else { return 0 }
    return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
}

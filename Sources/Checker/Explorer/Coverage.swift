/// What a run exercised (`ExplorerOptions.coverage`, TLC's `-coverage`): per operation, in
/// how many expanded states it was enabled, how many transitions it fired and how many
/// distinct states it reached first; per operation and outcome, how many offered actions
/// came to that outcome; per invariant, how many states it was evaluated on.
///
/// Sums over the expanded states, merged in frontier order: the same for any thread count.
public struct Coverage: Sendable, Equatable {
    /// The model's operations (`Model.operationNames`), outcomes (`Model.outcomeLabels`) and
    /// invariants, in the model's order.
    public let operations: [String]
    public let outcomes: [String]
    public let invariants: [String]
    /// [op]: expanded states in which at least one of the operation's actions was a transition.
    public internal(set) var enabled: [Int]
    /// [op]: transitions (enabled actions, over every expanded state).
    public internal(set) var fired: [Int]
    /// [op]: distinct states whose first discovery was by this operation.
    public internal(set) var newStates: [Int]
    /// [op * outcomes.count + outcome]: offered actions that came to this outcome.
    public internal(set) var outcomeCounts: [Int]
    /// [invariant]: states the invariant was evaluated on (every new state, until it breaks).
    public internal(set) var evaluations: [Int]

    public init(operations: [String], outcomes: [String], invariants: [String]) {
        self.operations = operations
        self.outcomes = outcomes
        self.invariants = invariants
        enabled = Array(repeating: 0, count: operations.count)
        fired = enabled
        newStates = enabled
        outcomeCounts = Array(repeating: 0, count: operations.count * outcomes.count)
        evaluations = Array(repeating: 0, count: invariants.count)
    }

    /// Offered actions of `op` that came to `outcome`.
    public func count(_ op: Int, _ outcome: Int) -> Int { outcomeCounts[op * outcomes.count + outcome] }
    /// The counts by name (0 for an unknown name).
    public func fired(_ name: String) -> Int { operations.firstIndex(of: name).map { fired[$0] } ?? 0 }
    public func count(_ name: String, outcome: String) -> Int {
        guard let op = operations.firstIndex(of: name), let k = outcomes.firstIndex(of: outcome) else { return 0 }
        return count(op, k)
    }
    /// Each operation's outcomes with a non-zero count, in label order.
    public func outcomes(of op: Int) -> [(label: String, count: Int)] {
        outcomes.indices.compactMap { k in count(op, k) > 0 ? (outcomes[k], count(op, k)) : nil }
    }

    /// One expanded state's counts, as a worker records them, `stride` per operation:
    /// the outcome counts, then 1 when the operation fired in the state, then its transitions.
    var stride: Int { outcomes.count + 2 }
    var blockSize: Int { operations.count * stride }

    /// Adds one expanded state's block.
    mutating func add(block: ArraySlice<Int32>) {
        var i = block.startIndex
        let n = outcomes.count
        for op in operations.indices {
            for k in 0..<n { outcomeCounts[op * n + k] += Int(block[i + k]) }
            enabled[op] += Int(block[i + n])
            fired[op] += Int(block[i + n + 1])
            i += n + 2
        }
    }

    mutating func addNewState(_ op: Int) { newStates[op] += 1 }
    mutating func addEvaluation(_ invariant: Int) { evaluations[invariant] += 1 }
}

import Foundation
/// Bounds and switches of one exploration. Every bound that cuts a run short
/// makes the result incomplete (never "holds").
public struct ExplorerOptions: Sendable, Equatable {
    /// Do not expand states at this depth (initial states are depth 0).
    public var maxDepth: Int?
    /// Stop after this many distinct states.
    public var maxStates: Int?
    /// Stop after this many seconds.
    public var maxSeconds: Double?
    /// Stop when the process's resident memory, with the next growth of the visited set
    /// counted in advance, would pass this many bytes. nil: `defaultMemoryCeiling`.
    public var maxMemoryBytes: UInt64?

    /// The ceiling when none is given: 80% of physical memory (a run never pushes the machine
    /// into swap or the OOM killer without being asked to).
    public static var defaultMemoryCeiling: UInt64 {
        UInt64(Double(ProcessInfo.processInfo.physicalMemory) * 0.8)
    }

    /// The ceiling in force: `maxMemoryBytes`, else `defaultMemoryCeiling`.
    public var memoryCeiling: UInt64 { maxMemoryBytes ?? ExplorerOptions.defaultMemoryCeiling }
    /// Collect one shortest trace per broken invariant instead of stopping at the first.
    public var keepGoing: Bool
    /// Canonicalise states under the model's symmetry before storing them.
    public var symmetry: Bool
    /// Keep full states in the visited set (no fingerprint collisions; more memory).
    public var fullStates: Bool
    /// Worker threads expanding each BFS level (results are merged in a fixed order,
    /// so counts and traces do not depend on this).
    public var threads: Int
    /// Seconds between progress reports.
    public var progressInterval: Double
    /// Collect `ExplorerStats.coverage`: per operation, enabled, fired and new-state counts
    /// and the outcome of every offered action (`Model.outcome`); per invariant, evaluations.
    /// Off by default (then nothing is counted): it asks the model for every offered
    /// action's outcome, which at the hypervisor level re-runs refused requests.
    public var coverage = false

    public init(maxDepth: Int? = nil, maxStates: Int? = nil, maxSeconds: Double? = nil,
                maxMemoryBytes: UInt64? = nil, keepGoing: Bool = false, symmetry: Bool = true,
                fullStates: Bool = false, threads: Int = 1, progressInterval: Double = 3) {
        self.maxDepth = maxDepth
        self.maxStates = maxStates
        self.maxSeconds = maxSeconds
        self.maxMemoryBytes = maxMemoryBytes
        self.keepGoing = keepGoing
        self.symmetry = symmetry
        self.fullStates = fullStates
        self.threads = max(1, threads)
        self.progressInterval = progressInterval
    }
}

/// Why a run stopped before covering every reachable state.
public enum IncompleteReason: String, Sendable, Codable, Equatable {
    case depthLimit = "depth limit"
    case stateLimit = "state limit"
    case timeLimit = "time limit"
    case memoryLimit = "memory limit"
    case interrupted = "interrupted"
}

/// Numbers a run reports, during (progress) and after (summary).
public struct ExplorerStats: Sendable, Equatable {
    public var distinctStates = 0
    /// Successor states generated (transitions taken), including ones already seen.
    public var transitions = 0
    /// Deepest BFS level reached.
    public var depth = 0
    public var queue = 0
    public var seconds = 0.0
    /// Bytes the visited set and the trace links keep in memory, divided by distinct states.
    public var bytesPerState = 0.0
    /// Bytes of trace links spilled to a temporary file (TLC-style), 6 per state.
    public var traceBytesOnDisk = 0
    public var statesPerSecond: Double { seconds > 0 ? Double(distinctStates) / seconds : 0 }
    public var transitionsPerSecond: Double { seconds > 0 ? Double(transitions) / seconds : 0 }
    /// TLC's estimate of the chance that two distinct states shared a 64-bit
    /// fingerprint in this run (0 with full states): n^2 / 2^65.
    public var collisionProbability = 0.0
    /// With `coverage`: what the run exercised (the same for any thread count: each state
    /// is expanded once, and merged in BFS order). nil when off.
    public var coverage: Coverage?
    /// The model's witness predicates (`Model.witnesses`), each with the depth of the first
    /// state found to satisfy it (nil: none of the states reached did).
    public var witnesses: [Witness] = []
}

/// One witness predicate and where the run first met it.
public struct Witness: Sendable, Equatable {
    public let name: String
    public var depth: Int?
    public var reached: Bool { depth != nil }
}

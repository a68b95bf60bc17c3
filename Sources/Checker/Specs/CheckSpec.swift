import MMUSpec

/// One check configuration, as a spec file in `specs/` describes it.
public struct CheckSpec: Sendable {
    /// Which party's operations are explored.
    public enum Level: String, Sendable, CaseIterable {
        /// Xen's rules against an adversarial guest issuing any hypercall with any arguments.
        case hypervisor
        /// The seed's Linux protocol on top of Xen's rules.
        case guest
    }

    /// The checks a spec may ask for.
    public enum CheckKind: String, Sendable, CaseIterable {
        case explore, prove, diff
    }

    /// Which implementation of the hypervisor the explorer runs on.
    public enum Engine: String, Sendable, CaseIterable {
        /// The fast engine when the configuration fits its packed state, else the spec.
        case auto
        /// The executable specification (MMUSpec): derived counts, obviously right, slow.
        case spec
        /// The packed, incremental engine (MMUFast), held to the spec by `diff`.
        case fast
    }

    /// How the `diff` check drives the two engines (see docs/specs.md).
    public struct DiffSettings: Sendable, Equatable {
        /// Random runs, and operations per run (single requests and batches, any arguments).
        public var runs = 300
        public var steps = 60
        /// Seed of the deterministic generator.
        public var seed: UInt64 = 1
        /// Spec states explored breadth-first whose every transition is compared (0: none).
        public var states = 3000
        public init() {}
    }

    public var file: String
    public var name: String
    public var level: Level
    public var config: MMUConfig
    /// Operation names to enable (nil: every operation of the level).
    public var operations: [String]?
    /// The flag sets adversarial entry values are drawn from.
    public var entryFlags: [PTEFlags]
    /// Invariants to check (every invariant of the level when nil).
    public var invariants: [Invariant]?
    public var maxDepth: Int?
    public var maxStates: Int?
    public var maxSeconds: Double?
    public var maxMemoryMB: Int?
    public var symmetry: Bool
    public var checks: [CheckKind]
    /// Proof obligations for the `prove` check (all when nil).
    public var proofs: [String]?
    /// How the inductive proofs encode Xen's recursive parts (`proof-encoding:`).
    public var proofEncoding: ProofEncoding = .exact
    public var engine: Engine = .auto
    /// Keep one of the states that differ only in stale types (hypervisor level; see
    /// `XenState.forgettingStaleTypes`). On by default: sound, and reduces the count.
    public var mergeStaleTypes = true
    public var diff = DiffSettings()
    /// What a meaningful run must reach (`expect-reached:`): a complete run that misses one
    /// is `vacuous` (exit 1).
    public var expectReached: [ReachCondition] = []
    /// Operations that are not expected to fire, each with the reason and its line
    /// (`not-reached:`): the coverage report prints the reason instead of "never fired", and
    /// a run in which one fires is `contradicted` (exit 1).
    public var notReached: [(operation: String, why: String, line: Int)] = []
    /// What the file says that is allowed but probably not meant, as
    /// `FILE:LINE: warning: key: what` (the commands print them on stderr; they change no exit code).
    public var warnings: [String] = []

    public init(file: String, name: String, level: Level, config: MMUConfig) {
        self.file = file
        self.name = name
        self.level = level
        self.config = config
        operations = nil
        entryFlags = [[.present], [.present, .rw]]
        invariants = nil
        symmetry = true
        checks = [.explore]
    }

    /// The invariants this spec checks, in declaration order.
    public var checkedInvariants: [Invariant] {
        invariants ?? (level == .hypervisor ? Invariant.hypervisorLevel : Invariant.guestLevel)
    }

    public var explorerOptions: ExplorerOptions {
        ExplorerOptions(maxDepth: maxDepth, maxStates: maxStates, maxSeconds: maxSeconds,
                        maxMemoryBytes: maxMemoryMB.map { UInt64($0) * 1_048_576 }, symmetry: symmetry)
    }
}

/// One `expect-reached:` condition: an operation fired, an operation came to an outcome, or a
/// state satisfying a named predicate (`ReachPredicates`) was reached.
public struct ReachCondition: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case operation(String)
        case outcome(operation: String, outcome: String)
        case state(String)
    }
    public let kind: Kind
    /// The line of the condition in the spec file.
    public let line: Int
    public init(_ kind: Kind, line: Int) { self.kind = kind; self.line = line }

    /// As written in a spec: `pin`, `pin: -EINVAL`, `root-pinned`.
    public var description: String {
        switch kind {
        case .operation(let op): op
        case .outcome(let op, let outcome): "\(op): \(outcome)"
        case .state(let name): name
        }
    }

    /// Whether the condition needs the explorer's coverage counts (an operation or an outcome).
    public var needsCoverage: Bool { if case .state = kind { false } else { true } }
}

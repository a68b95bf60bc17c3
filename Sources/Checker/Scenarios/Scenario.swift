import MMUSpec

/// A scenario: an XTF-style regression test with expected results (docs/scenarios.md).
///
/// A model and its sizes, an optional declared starting state, and steps written freely
/// (any hypercall with any arguments, batches, multicalls, guest operations), each with
/// what Xen or the seed must answer and what must hold after it. `ScenarioLoader` reads one
/// from YAML; `ScenarioRunner` runs it on the spec engine and, where the model fits, on
/// the fast one.
public struct Scenario: Sendable {
    public var file: String
    public var name: String
    /// The model and configuration (from `spec:` or inline `model:` / `sizes:` / `features:`).
    public var spec: CheckSpec
    /// `cites:`: where the scenario comes from (an XTF test, a Xen fix, a seed function).
    public var cites: [String] = []
    /// The declared starting state (hypervisor level), nil = the model's initial state.
    public var start: XenState?
    /// The declared starting state at guest level (the booted guest with the file's changes),
    /// nil = the booted guest.
    public var guestStart: GuestState?
    /// The line of `start:`.
    public var startLine = 0
    public var steps: [ScenarioStep] = []
}

/// One step of a scenario: what runs, what it must answer, what must hold after it.
public struct ScenarioStep: Sendable {
    /// What the step runs.
    public enum Action: Sendable {
        /// One hypercall (one request, or a batch of one hypercall's requests) or a plain store.
        case xen(XenAction)
        /// `HYPERVISOR_multicall`: every entry runs, each with its own result (`do_multicall`
        /// does not stop at a failed entry).
        case multicall(vcpu: Int, [XenAction])
        /// One guest operation, as the explorer runs it (`GuestState.step`).
        case guest(GuestOp)
        /// Xen runs every entry of the multicalls `cpu` has in flight: `multicall-entry` steps
        /// on that CPU until none is left (a shorthand; each entry is still its own step).
        case multicalls(cpu: Int)
    }

    public var line: Int
    public var action: Action
    /// The expected answer (for a multicall, one per entry).
    public var expect: [Expectation]
    /// Checks on the state after the step.
    public var asserts: [Assertion] = []
    /// Invariants that must be broken after the step; every other invariant must hold.
    public var breaks: [Invariant] = []
    /// The line of `breaks:`.
    public var breaksLine = 0
    /// The step's own words (`note:`), printed with it.
    public var note: String?

    /// The step as the tool prints actions.
    public var description: String {
        switch action {
        case .xen(let a): a.description
        case .multicall(let v, let entries): "multicall[" + entries.map { e in
                let d = e.description
                return d.hasSuffix(" @v\(v)") ? String(d.dropLast(" @v\(v)".count)) : d
            }.joined(separator: "; ") + "] @v\(v)"
        case .guest(let op): op.description
        case .multicalls(let c): "multicalls(cpu: \(c))"
        }
    }
}

/// What a step must answer.
public struct Expectation: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Xen accepted it (a guest store: written or emulated); the guest operation completed.
        case ok
        /// Xen refused it with this code.
        case error(XenError)
        /// A guest store that Xen does not complete: the guest takes a page fault (any refusal).
        case fault
        /// A guest store Xen emulated as an L1 update (`ptwr_emulated_update`).
        case emulated
        /// A guest store written straight to memory through a writable mapping.
        case written
        /// The seed hit a BUG.
        case bug
        /// The seed's preconditions do not hold; nothing ran.
        case notApplicable
    }
    public var kind: Kind
    /// For a batch: how many requests Xen completed (`done`), when the scenario says.
    public var done: Int?
    public var line: Int
    /// The line of `done:` (mismatches of the count are reported there).
    public var doneLine = 0

    public init(_ kind: Kind, done: Int? = nil, line: Int) { self.kind = kind; self.done = done; self.line = line }

    public var description: String {
        let k: String
        switch kind {
        case .ok: k = "ok"
        case .error(let e): k = e.description
        case .fault: k = "fault"
        case .emulated: k = "emulated"
        case .written: k = "written"
        case .bug: k = "BUG"
        case .notApplicable: k = "not-applicable"
        }
        return done.map { "\(k) (done \($0))" } ?? k
    }
}

/// A check on the state after a step (`assert:`): one fact about a frame, a cr3, the m2p,
/// or the guest.
public struct Assertion: Sendable, Hashable {
    public enum Fact: Sendable, Hashable {
        case type(mfn: Int, PageType)
        case typeCount(mfn: Int, Int)
        case generalCount(mfn: Int, Int)
        case pinned(mfn: Int, Bool)
        case validated(mfn: Int, Bool)
        case owner(mfn: Int, Owner)
        case entry(mfn: Int, slot: Int, PTE)
        case cr3(vcpu: Int, Int?)
        case m2p(mfn: Int, Int?)
        /// Guest level: the p2m entry of a pfn (`P2M.invalidEntry` for INVALID).
        case p2m(pfn: Int, Int)
        /// Guest level: `PagePinned` of a pfn.
        case pagePinned(pfn: Int, Bool)
        /// Guest level: whether the guest has hit a BUG.
        case bug(Bool)
    }
    public var fact: Fact
    public var line: Int
    /// The key as the file spells it, for messages (`frames.2.type`).
    public var key: String
}

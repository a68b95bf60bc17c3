import MMUSpec

/// The seed's Linux protocol on top of Xen's rules: the guest operations
/// `GuestState.enabledOperations()` offers (every seed function with every
/// argument in a small faithful range), checked against every invariant.
///
/// Symmetry: the vCPUs are interchangeable (`GuestState.permutingCPUs`,
/// CPUSymmetry.swift), so with `symmetry` on the explorer keeps one state per
/// class of CPU renamings. Frames and mm slots are not renamed: the kernel's
/// direct map gives each pfn its own slot, and the guest allocates pfns, mm
/// slots and (with the balloon) Xen's frames deterministically (lowest free),
/// so those renamings are not automorphisms.
public struct GuestModel: Model {
    public typealias State = GuestState
    public typealias Action = GuestOp

    public let spec: CheckSpec
    public let mutations: Set<GuestMutation>
    let enabled: Set<String>?
    /// Every renaming of the CPUs (`vcpus!` of them), identity first.
    let cpuPermutations: [[Int]]

    /// `mutations` changes the seed for tests (e.g. no `drop_mm_ref`); spec files cannot reach it.
    public init(spec: CheckSpec, mutations: Set<GuestMutation> = []) {
        self.spec = spec
        self.mutations = mutations
        enabled = spec.operations.map(Set.init)
        let n = spec.config.vcpus
        cpuPermutations = (2...4).contains(n) ? Permutations.all(of: n) : []
    }

    // Coverage and witnesses (Model's hooks).
    public var operationNames: [String] { GuestOp.allNames }
    public func operationIndex(_ action: GuestOp) -> Int { GuestModel.operationIndex[action.name] ?? 0 }
    static let operationIndex = Dictionary(uniqueKeysWithValues: GuestOp.allNames.enumerated().map { ($1, $0) })
    /// ok; not-applicable (the seed's preconditions do not hold: no transition); BUG (the
    /// seed hit a BUG: a transition to a state with `bug` set, which `no-failed-hypercall` reports).
    public static let outcomeNames = ["ok", "not-applicable", "BUG"]
    public var outcomeLabels: [String] { GuestModel.outcomeNames }
    public func outcome(_ state: GuestState, _ action: GuestOp, next: GuestState?) -> Int {
        guard let next else { return 1 }
        return next.bug != nil && state.bug == nil ? 2 : 0
    }
    public var witnesses: Witnesses<GuestState> {
        let boot = initialStates()[0]
        return Witnesses(spec.expectReached.compactMap { c in
            if case .state(let n) = c.kind { ReachPredicates.guestWitness(n, boot: boot) } else { nil }
        })
    }

    /// Whether `canonical` reduces anything (2 to 4 vCPUs).
    public var hasSymmetry: Bool { !cpuPermutations.isEmpty }

    /// One state per class of CPU renamings (2 to 4 vCPUs, up to 24 renamings; more keep
    /// their CPU order: sound, no reduction, and the report says symmetry is off).
    public func canonical(_ state: GuestState) -> GuestState {
        state.canonicalUnderCPURenaming(cpuPermutations)
    }

    /// `multicall-entry`, `drop-other-mm-ref`, `exit-mmap-unpin`, and the ends of what was
    /// begun: `leave-lazy-cpu` (a context switch always ends), `leave-lazy-mmu` (a lazy section
    /// always ends), `mm-unpin-all` (resume follows save). With these, no CPU can be left
    /// stuck half-way: every continuation a state has is enabled eventually.
    public static let alwaysOffered: Set<String> = ["multicall-entry", "drop-other-mm-ref", "exit-mmap-unpin",
                                                    "leave-lazy-cpu", "leave-lazy-mmu", "mm-unpin-all"]

    public func initialStates() -> [GuestState] { [GuestState(config: spec.config, mutations: mutations)] }

    public func actions(in state: GuestState) -> [GuestOp] {
        guard let enabled else { return state.enabledOperations() }
        // The kernel mappings (set-pte-at on init_mm, next to set-pte-mfn) are offered when
        // the spec enables set-pte-mfn; set-pte-at on init_mm also needs set-pte-at enabled,
        // like every other set-pte-at (a name filters everything it names).
        let all = state.enabledOperations(kernelMappings: enabled.contains("set-pte-mfn"))
        // The steps that finish an operation already started are part of it, not operations
        // a spec chooses: always offered, so a filtered spec never leaves a CPU stuck
        // half-way (and reports "holds" for states where nothing could go on).
        return all.filter { enabled.contains($0.name) || GuestModel.alwaysOffered.contains($0.name) }
    }

    /// An operation whose seed preconditions do not hold is not a transition; a
    /// BUG (a refused hypercall) is, and `no-failed-hypercall` reports it.
    public func next(_ state: GuestState, _ action: GuestOp) -> GuestState? {
        var s = state
        if case .notApplicable = s.step(action) { return nil }
        return s
    }

    public var invariants: [NamedInvariant<GuestState>] {
        spec.checkedInvariants.map { inv in NamedInvariant(inv.rawValue) { $0.check(inv) } }
    }
}

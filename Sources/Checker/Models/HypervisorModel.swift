import MMUSpec

/// Xen's rules against an adversarial guest: every hypervisor action with every
/// argument in range (`XenState.allActions`), checked against the
/// hypervisor-level invariants. A rejected call changes nothing, so it is not
/// a transition.
public struct HypervisorModel: Model {
    public typealias State = XenState
    public typealias Action = XenAction

    public let spec: CheckSpec
    public let mutations: Set<XenMutation>
    public let actionList: [XenAction]
    /// Forget stale types (`XenState.forgettingStaleTypes`): the spec asks for it and no
    /// mutation is on (the reduction is not sound under mutations).
    public let mergesStaleTypes: Bool
    /// The slot renamings symmetry tries (`XenState.slotPermutations`).
    let slotPermutations: [[Int]]

    /// `mutations` removes hypervisor rules for tests that show the checker finds
    /// the breakage; spec files cannot reach it.
    public init(spec: CheckSpec, mutations: Set<XenMutation> = []) {
        self.spec = spec
        self.mutations = mutations
        mergesStaleTypes = spec.mergeStaleTypes && mutations.isEmpty
        let enabled = Set(spec.operations ?? XenAction.operationNames)
        actionList = XenState.allActions(config: spec.config, flagChoices: spec.entryFlags)
            .filter { enabled.contains($0.name) }
        slotPermutations = XenState.slotPermutations(spec.config)
    }

    public func reduced(_ state: XenState) -> XenState { mergesStaleTypes ? state.forgettingStaleTypes() : state }

    public func initialStates() -> [XenState] { [XenState(config: spec.config, mutations: mutations)] }

    public func actions(in state: XenState) -> [XenAction] { actionList }

    public func next(_ state: XenState, _ action: XenAction) -> XenState? {
        var s = state
        return s.apply(action).succeeded ? s : nil
    }

    public var invariants: [NamedInvariant<XenState>] {
        spec.checkedInvariants.map { inv in NamedInvariant(inv.rawValue) { $0.check(inv) } }
    }

    /// The representative of a state's class under renaming of machine frames and of entry
    /// slots (`XenState.permutingSlots`): the smallest, by encoding, of the frame
    /// representatives of the state's slot renamings. Both renamings commute, so the set of
    /// candidates is the same for every member of a class.
    // Coverage and witnesses (Model's hooks).
    public var operationNames: [String] { XenAction.operationNames }
    public func operationIndex(_ action: XenAction) -> Int { XenAction.operationNames.firstIndex(of: action.name) ?? 0 }
    public var outcomeLabels: [String] { XenAnswer.labels }
    /// "ok" for an accepted hypercall; otherwise the spec answers again on a copy (a guest
    /// store's kind, a refusal's error code).
    public func outcome(_ state: XenState, _ action: XenAction, next: XenState?) -> Int {
        if next != nil, case .hypercall = action { return 0 }
        var copy = state
        return XenAnswer.perform(action, on: &copy).labelIndex
    }
    public var witnesses: [NamedPredicate<XenState>] {
        spec.expectReached.compactMap { c in if case .state(let n) = c.kind { ReachPredicates.xenWitness(n) } else { nil } }
    }

    public func canonical(_ state: XenState) -> XenState {
        guard slotPermutations.count > 1 else { return frameCanonical(state) }
        var best = frameCanonical(state), bestKey = StateKey.xen(best)
        for sigma in slotPermutations.dropFirst() {   // the first is the identity
            let t = frameCanonical(state.permutingSlots(sigma))
            let k = StateKey.xen(t)
            if k.lexicographicallyPrecedes(bestKey) { best = t; bestKey = k }
        }
        return best
    }

    /// The representative of a state's class under renaming of machine frames:
    /// frames are first ordered by a signature that does not mention frame numbers
    /// (owner, type, flags, pin, how many cr3s name it, its m2p entry), and only
    /// frames with equal signatures are tried in every order; the renaming whose
    /// encoding is smallest wins. Both steps depend only on the class, so every
    /// member maps to the same state, and most states need one renaming, not n!.
    func frameCanonical(_ state: XenState) -> XenState {
        let n = state.frames.count
        guard n > 1 else { return state }
        if n == 2 {   // two renamings: cheaper to try both than to compute signatures
            let swapped = state.permutingFrames([1, 0])
            return StateKey.xen(swapped).lexicographicallyPrecedes(StateKey.xen(state)) ? swapped : state
        }
        let sigs = (0..<n).map { Symmetry.signature(state, frame: $0) }
        let order = (0..<n).sorted { sigs[$0].lexicographicallyPrecedes(sigs[$1]) }
        var groups: [[Int]] = []
        for f in order {
            if let last = groups.last?.first, sigs[last] == sigs[f] { groups[groups.count - 1].append(f) } else { groups.append([f]) }
        }
        // Trying every order of a large group of look-alike frames (e.g. untouched ones) is
        // factorial: past `maxArrangements`, ties keep their current order instead. That
        // representative is still a renaming of the state (sound), just not unique per
        // class, so the reduction is smaller but nothing is missed.
        var arrangements = 1
        for g in groups { for k in 1...g.count { arrangements = min(arrangements * k, Symmetry.maxArrangements + 1) } }
        if arrangements > Symmetry.maxArrangements {
            var perm = Array(repeating: 0, count: n)
            for (position, f) in order.enumerated() { perm[f] = position }
            return state.permutingFrames(perm)
        }
        var best: XenState? = nil
        var bestKey: [Int] = []
        var perm = Array(repeating: 0, count: n)
        func place(_ g: Int, _ base: Int) {
            if g == groups.count {
                let t = state.permutingFrames(perm)
                let k = StateKey.xen(t)
                if best == nil || k.lexicographicallyPrecedes(bestKey) { best = t; bestKey = k }
                return
            }
            for arrangement in Symmetry.permutations(of: groups[g].count) {
                for (i, f) in groups[g].enumerated() { perm[f] = base + arrangement[i] }
                place(g + 1, base + groups[g].count)
            }
        }
        place(0, 0)
        return best ?? state
    }
}

/// Symmetry reduction by trying every renaming within the interchangeable classes.
public enum Symmetry {
    /// The most renamings `canonical` tries for one state.
    public static let maxArrangements = 720

    /// Every permutation of `0..<n`, in lexicographic order.
    public static func permutations(of n: Int) -> [[Int]] { Permutations.all(of: n) }

    /// What a frame looks like without naming any frame: owner, type, flags, pin,
    /// its entries' flags and presence, how many cr3s name it, its m2p entry.
    static func signature(_ s: XenState, frame f: Int) -> [Int] {
        let fr = s.frames[f]
        var sig = [fr.owner.rawValue, fr.type.rawValue, fr.validated ? 1 : 0, fr.pinned ? 1 : 0]
        for e in fr.entries { sig.append(Int(e.flags.rawValue)); sig.append(e.isPresent && e.frame == f ? 1 : 0) }
        sig.append(s.cr3.filter { $0 == f }.count)
        sig.append(s.m2p.indices.contains(f) ? (s.m2p[f] ?? -1) : -2)
        return sig
    }
}

/// Integer encodings of states, used to order the members of a symmetry class.
public enum StateKey {
    public static func xen(_ s: XenState) -> [Int] {
        var k: [Int] = []
        k.reserveCapacity(s.frames.count * (4 + 2 * s.config.entriesPerTable) + 2 * s.cr3.count + s.m2p.count)
        for f in s.frames {
            k.append(f.owner.rawValue)
            k.append(f.type.rawValue)
            k.append(f.validated ? 1 : 0)
            k.append(f.pinned ? 1 : 0)
            for e in f.entries { k.append(e.frame); k.append(Int(e.flags.rawValue)) }
        }
        for c in s.cr3 { k.append(c ?? -1) }
        for m in s.m2p { k.append(m ?? -1) }
        return k
    }
}

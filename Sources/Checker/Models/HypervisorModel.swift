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
    let actionList: [XenAction]
    let permutations: [[Int]]

    /// `mutations` removes hypervisor rules for tests that show the checker finds
    /// the breakage; spec files cannot reach it.
    public init(spec: CheckSpec, mutations: Set<XenMutation> = []) {
        self.spec = spec
        self.mutations = mutations
        let enabled = Set(spec.operations ?? XenAction.operationNames)
        actionList = XenState.allActions(config: spec.config, flagChoices: spec.entryFlags)
            .filter { enabled.contains($0.name) }
        let initial = XenState(config: spec.config, mutations: mutations)
        permutations = Symmetry.permutations(classes: initial.frames.map(\.owner.rawValue))
    }

    public func initialStates() -> [XenState] { [XenState(config: spec.config, mutations: mutations)] }

    public func actions(in state: XenState) -> [XenAction] { actionList }

    public func next(_ state: XenState, _ action: XenAction) -> XenState? {
        var s = state
        return s.apply(action).succeeded ? s : nil
    }

    public var invariants: [NamedInvariant<XenState>] {
        spec.checkedInvariants.map { inv in NamedInvariant(inv.rawValue) { $0.check(inv) } }
    }

    /// The representative of a state's class under renaming of machine frames
    /// with the same owner: the renaming whose encoding is smallest.
    public func canonical(_ state: XenState) -> XenState {
        Symmetry.canonical(state, permutations: permutations, permute: { $0.permutingFrames($1) }, key: StateKey.xen)
    }
}

/// Symmetry reduction by trying every renaming within the interchangeable classes.
public enum Symmetry {
    /// Every permutation of `0..<classes.count` that maps each index to one of the same class.
    public static func permutations(classes: [Int]) -> [[Int]] {
        let n = classes.count
        var out: [[Int]] = []
        var perm = Array(repeating: -1, count: n)
        var used = Array(repeating: false, count: n)
        func place(_ i: Int) {
            if i == n { out.append(perm); return }
            for j in 0..<n where !used[j] && classes[j] == classes[i] {
                used[j] = true; perm[i] = j
                place(i + 1)
                used[j] = false
            }
        }
        place(0)
        return out
    }

    public static func canonical<S>(_ s: S, permutations: [[Int]], permute: (S, [Int]) -> S, key: (S) -> [Int]) -> S {
        guard permutations.count > 1 else { return s }
        var best = s
        var bestKey = key(s)
        for p in permutations.dropFirst() {
            let t = permute(s, p)
            let k = key(t)
            if k.lexicographicallyPrecedes(bestKey) { best = t; bestKey = k }
        }
        return best
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

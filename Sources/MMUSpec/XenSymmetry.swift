/// Symmetry: machine frames are interchangeable names. Renaming them consistently gives a
/// state that behaves the same under the renamed actions, so the explorer may keep one
/// representative per class (it canonicalises by trying permutations).

extension XenState {
    /// Rename machine frames by `perm` (`perm[old] = new`) everywhere: the order of `frames`,
    /// the frame number of every *present* entry that names a machine frame (those are mfns the
    /// hypervisor interprets; a non-present entry's number is guest data, e.g. a swap entry, that
    /// Xen never reads, so it is kept), the cr3s and the m2p's indices (its values are pfns and
    /// stay). A frame's owner, type, flags and pin travel with it, so any permutation is a valid
    /// renaming; callers that want owner-preserving classes permute within an owner.
    /// `perm` that is not a permutation of `0..<frames.count`: the state is returned unchanged.
    public func permutingFrames(_ perm: [Int]) -> XenState {
        let n = frames.count
        guard perm.count == n, Set(perm) == Set(0..<n) else { return self }
        func rename(_ e: PTE) -> PTE {
            guard e.isPresent, (0..<n).contains(e.frame) else { return e }
            return PTE(frame: perm[e.frame], flags: e.flags)
        }
        var out = self
        for old in 0..<n {
            var frame = frames[old]
            frame.entries = frame.entries.map(rename)
            out.frames[perm[old]] = frame
            if m2p.indices.contains(old), out.m2p.indices.contains(perm[old]) { out.m2p[perm[old]] = m2p[old] }
        }
        out.cr3 = cr3.map { c in c.flatMap { (0..<n).contains($0) ? perm[$0] : $0 } }
        return out
    }

    /// The same renaming applied to an action's frame arguments (mfns in pointers, pins,
    /// bases, machphys, and present entry values), so `s.permutingFrames(p)` answers
    /// `a.permutingFrames(p)` as `s` answers `a`.
    public static func permuting(_ action: XenAction, _ perm: [Int]) -> XenAction {
        let n = perm.count
        guard Set(perm) == Set(0..<n) else { return action }
        func m(_ f: Int) -> Int { (0..<n).contains(f) ? perm[f] : f }
        func v(_ e: PTE) -> PTE { e.isPresent ? PTE(frame: m(e.frame), flags: e.flags) : e }
        switch action {
        case .guestStore(let vcpu, let va, let slot, let val):
            return .guestStore(vcpu: vcpu, va: va, slot: slot, val: v(val))
        case .hypercall(let vcpu, let call):
            switch call {
            case .updateVAMapping(let va, let val, let flush):
                return .hypercall(vcpu: vcpu, .updateVAMapping(va: va, val: v(val), flush: flush))
            case .mmuUpdate(let rs):
                return .hypercall(vcpu: vcpu, .mmuUpdate(rs.map { r in
                    switch r {
                    case .normal(let p, let val): .normal(ptr: EntryRef(mfn: m(p.mfn), slot: p.slot), val: v(val))
                    case .preserveAD(let p, let val): .preserveAD(ptr: EntryRef(mfn: m(p.mfn), slot: p.slot), val: v(val))
                    case .machphys(let mfn, let pfn): .machphys(mfn: m(mfn), pfn: pfn)
                    }
                }))
            case .mmuextOp(let ops):
                return .hypercall(vcpu: vcpu, .mmuextOp(ops.map { op in
                    switch op {
                    case .pin(let level, let mfn): .pin(level: level, mfn: m(mfn))
                    case .unpin(let mfn): .unpin(mfn: m(mfn))
                    case .newBaseptr(let mfn): .newBaseptr(mfn: m(mfn))
                    case .tlbFlush: .tlbFlush
                    }
                }))
            }
        }
    }
}

/// Symmetry over entry slots: renaming the slots of every table by one permutation `sigma`
/// (`sigma[old] = new`), and every virtual page digit by digit (a page is the sequence of its
/// table indices, one per level), gives a state that answers the renamed actions as the
/// state answers the actions. Why: at the hypervisor level no rule reads a slot number
/// (validation, reference counting and the invariants treat a table's entries alike;
/// the model has no slots reserved for Xen, see docs/model.md), the address space is every
/// page of `entries^levels`, and every action ranges over every slot and page.
extension XenState {
    /// The slot renamings symmetry tries: every permutation of a table's slots when there
    /// are at most `maxSlotSymmetry` (24 renamings), else only the identity (sound, no reduction).
    public static func slotPermutations(entriesPerTable e: Int) -> [[Int]] {
        e <= maxSlotSymmetry ? Permutations.all(of: max(0, e)) : [Array(0..<max(0, e))]
    }
    public static let maxSlotSymmetry = 4

    /// Every table's entries renamed by `sigma` (`sigma[old] = new`); unchanged when `sigma`
    /// is not a permutation of the slots.
    public func permutingSlots(_ sigma: [Int]) -> XenState {
        let e = config.entriesPerTable
        guard sigma.count == e, Set(sigma) == Set(0..<e) else { return self }
        var out = self
        for f in frames.indices where frames[f].entries.count == e {
            for old in 0..<e { out.frames[f].entries[sigma[old]] = frames[f].entries[old] }
        }
        return out
    }

    /// The byte address whose table index at every level is renamed by `sigma` (the
    /// offset within the page is kept); unchanged outside the address space.
    public static func permutingSlots(va: Int, _ sigma: [Int], config: MMUConfig) -> Int {
        let e = config.entriesPerTable
        guard sigma.count == e, va >= 0, va < config.addressSpaceSize else { return va }
        var page = va / MMUConfig.pageSize, renamed = 0, weight = 1
        for _ in 0..<config.levels {
            renamed += sigma[page % e] * weight
            page /= e; weight *= e
        }
        return renamed * MMUConfig.pageSize + va % MMUConfig.pageSize
    }

    /// The same renaming applied to an action's slot and address arguments, so
    /// `s.permutingSlots(sigma)` answers `permutingSlots(a, sigma)` as `s` answers `a`.
    public static func permutingSlots(_ action: XenAction, _ sigma: [Int], config: MMUConfig) -> XenAction {
        let e = config.entriesPerTable
        guard sigma.count == e, Set(sigma) == Set(0..<e) else { return action }
        func slot(_ k: Int) -> Int { (0..<e).contains(k) ? sigma[k] : k }
        func va(_ a: Int) -> Int { permutingSlots(va: a, sigma, config: config) }
        func ptr(_ p: EntryRef) -> EntryRef { EntryRef(mfn: p.mfn, slot: slot(p.slot)) }
        switch action {
        case .guestStore(let vcpu, let a, let k, let val):
            return .guestStore(vcpu: vcpu, va: va(a), slot: slot(k), val: val)
        case .hypercall(let vcpu, let call):
            switch call {
            case .updateVAMapping(let a, let val, let flush):
                return .hypercall(vcpu: vcpu, .updateVAMapping(va: va(a), val: val, flush: flush))
            case .mmuUpdate(let rs):
                return .hypercall(vcpu: vcpu, .mmuUpdate(rs.map { r in
                    switch r {
                    case .normal(let p, let val): .normal(ptr: ptr(p), val: val)
                    case .preserveAD(let p, let val): .preserveAD(ptr: ptr(p), val: val)
                    case .machphys: r
                    }
                }))
            case .mmuextOp: return action
            }
        }
    }
}

/// Every permutation of `0..<n`, in lexicographic order: the renamings symmetry tries
/// (shared by both engines' canonical forms).
public enum Permutations {
    public static func all(of n: Int) -> [[Int]] {
        var out: [[Int]] = []
        var perm = Array(repeating: -1, count: max(0, n))
        var used = Array(repeating: false, count: max(0, n))
        func place(_ i: Int) {
            if i == n { out.append(perm); return }
            for j in 0..<n where !used[j] {
                used[j] = true; perm[i] = j
                place(i + 1)
                used[j] = false
            }
        }
        place(0)
        return out
    }
}

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
    /// bases, machphys, and present entry values: the `frame` and `value` arguments of
    /// `XenOperation.arguments`), so `s.permutingFrames(p)` answers `a.permutingFrames(p)` as
    /// `s` answers `a`.
    public static func permuting(_ action: XenAction, _ perm: [Int]) -> XenAction {
        let n = perm.count
        guard Set(perm) == Set(0..<n) else { return action }
        return action.renamed(frame: { (0..<n).contains($0) ? perm[$0] : $0 }, slot: { $0 }, va: { $0 })
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
    ///
    /// With linear entries (`recursiveEntries`) only the identity: validation then depends on
    /// the order of the slots (`alloc_lN_table` validates them in order). A table validated
    /// as L3 whose slot 0 names frame 2 and slot 1 names frame 1, whose slot 0 names frame 2
    /// too, is accepted (2 becomes an L2, then 1's entry to it is a linear entry); with the
    /// slots swapped, 2 becomes 1's L1 first and the L3's entry to it is refused (-EINVAL):
    /// renaming slots changes a pin's answer (`XenSlotSymmetryTests.linearEntriesMakeSlotOrderMatter`).
    /// Without linear entries a frame demanded in two roles fails in either order, and
    /// success leaves the same state.
    ///
    /// With the compat L3 rules (`compatL3`) only the identity too: slot 3 of an L3 is Xen's
    /// (`is_guest_l3_slot`), so the slots are not interchangeable.
    public static func slotPermutations(_ config: MMUConfig) -> [[Int]] {
        let e = config.entriesPerTable
        return e <= maxSlotSymmetry && !config.recursiveEntries && !config.compatL3 ? Permutations.all(of: max(0, e)) : [Array(0..<max(0, e))]
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

    /// The same renaming applied to an action's slot and address arguments (the `slot` and
    /// `va` arguments of `XenOperation.arguments`), so `s.permutingSlots(sigma)` answers
    /// `permutingSlots(a, sigma)` as `s` answers `a`.
    public static func permutingSlots(_ action: XenAction, _ sigma: [Int], config: MMUConfig) -> XenAction {
        let e = config.entriesPerTable
        guard sigma.count == e, Set(sigma) == Set(0..<e) else { return action }
        return action.renamed(frame: { $0 }, slot: { (0..<e).contains($0) ? sigma[$0] : $0 },
                              va: { permutingSlots(va: $0, sigma, config: config) })
    }
}

import MMUSpec

/// The requests, each with exactly the checks and error codes of `XenState`'s.
extension FastXen {
    /// `do_mmu_update` normal / preserve-AD on the entry `mfn[slot]`.
    func mmuUpdate(_ s: inout FastXenState, mfn: Int, slot: Int, value v: Int, preserveAD: Bool) throws(XenError) {
        if preserveAD && !config.preserveAD { throw .einval }
        guard mfn >= 0, mfn < frameCount, !xenOwned(s, mfn), slot >= 0, slot < slotCount else { throw .einval }
        let m = meta(s, mfn)
        if m & FastXen.validatedBit != 0, (1...4).contains(m & FastXen.typeMask) {
            let old = entry(s, mfn, slot)
            let nv = preserveAD ? Int(mergeAD[old &* values.count &+ v]) : v
            try updateEntry(&s, table: mfn, slot: slot, level: Int(m & FastXen.typeMask), value: nv)
        } else {
            try getPageType(&s, mfn, FastXen.typeWritable)
            setEntry(&s, mfn, slot, v)
        }
    }

    /// Whether `MMU_PT_UPDATE_PRESERVE_AD` with value `v` does exactly what
    /// `MMU_NORMAL_PT_UPDATE` with `v` does, in every state: the feature is on and no value
    /// the engine can hold has Accessed/Dirty bits for the merge to add to `v`.
    public func preserveADActsAsNormal(value v: PTE) -> Bool {
        guard config.preserveAD, let i = valueIndex[v] else { return false }
        let n = values.count
        return (0..<n).allSatisfy { mergeAD[$0 &* n &+ Int(i)] == i }
    }

    /// `MMU_MACHPHYS_UPDATE`.
    func machphys(_ s: inout FastXenState, mfn: Int, pfn: Int) throws(XenError) {
        guard mfn >= 0, mfn < frameCount, !xenOwned(s, mfn), pfn >= 0, pfn < config.pfns else { throw .einval }
        s[m2pBase &+ mfn] = UInt8(truncatingIfNeeded: pfn + 1)
    }

    /// The hardware walk from `root` for `page`: the L1 table reached (or -1), the leaf value,
    /// and the AND of RW over the upper entries.
    @inline(__always)
    func walkToL1(_ s: FastXenState, root: Int, page: Int) -> (l1: Int, upperRW: Bool) {
        var table = root, rw = true
        var level = levelCount
        while level > 1 {
            let v = entry(s, table, index(page: page, level: level))
            let t = vFrame[v]
            guard t != FastXen.noFrame else { return (-1, false) }
            rw = rw && vRW[v]
            table = Int(t)
            level &-= 1
        }
        return (table, rw)
    }

    /// `do_update_va_mapping` through the vCPU's tables.
    func updateVAMapping(_ s: inout FastXenState, vcpu: Int, page: Int, value v: Int) throws(XenError) {
        let root = cr3(s, vcpu)
        guard root >= 0, page >= 0, page < pages else { throw .einval }
        let (l1, _) = walkToL1(s, root: root, page: page)
        guard l1 >= 0, isGuestL1(s, l1) else { throw .einval }
        try updateEntry(&s, table: l1, slot: index(page: page, level: 1), level: 1, value: v)
    }

    /// `MMUEXT_PIN_Ln_TABLE`.
    func pin(_ s: inout FastXenState, level: Int, mfn: Int) throws(XenError) {
        guard level >= 1, level <= levelCount, mfn >= 0, mfn < frameCount, !xenOwned(s, mfn), !pinned(s, mfn) else { throw .einval }
        try getPageType(&s, mfn, FastXen.tableType(level))
        setMeta(&s, mfn, meta(s, mfn) | FastXen.pinnedBit)
        addRef(&s, mfn, type(s, mfn))
    }

    /// `MMUEXT_UNPIN_TABLE`.
    func unpin(_ s: inout FastXenState, mfn: Int) throws(XenError) {
        guard mfn >= 0, mfn < frameCount, !xenOwned(s, mfn), pinned(s, mfn) else { throw .einval }
        setMeta(&s, mfn, meta(s, mfn) & ~FastXen.pinnedBit)
        dropRef(&s, mfn, type(s, mfn))
    }

    /// `MMUEXT_NEW_BASEPTR`.
    func newBaseptr(_ s: inout FastXenState, vcpu: Int, mfn: Int) throws(XenError) {
        guard mfn >= 0, mfn < frameCount, !xenOwned(s, mfn) else { throw .einval }
        try getPageType(&s, mfn, rootType)
        guard vcpu >= 0, vcpu < vcpuCount else { throw .einval }
        let old = cr3(s, vcpu)
        s[cr3Base &+ vcpu] = UInt8(truncatingIfNeeded: mfn + 1)
        addRef(&s, mfn, rootType)
        if old >= 0 { dropRef(&s, old, rootType) }
    }

    /// What a plain guest store does (`XenState.guestStore`).
    enum StoreKind { case plainWrite, emulated(l1: Int) }

    /// How a plain store by `vcpu` at `va` would be handled now (nil: it would fault), in the
    /// spec's words: for reports that tell a written store from an emulated one.
    public func storeOutcome(_ s: FastXenState, vcpu: Int, va: Int, slot: Int) -> XenState.StoreOutcome? {
        let page = va >= 0 && va < config.addressSpaceSize ? va / MMUConfig.pageSize : -1
        guard case .success(let (_, kind)) = storeTarget(s, vcpu: vcpu, page: page, slot: slot) else { return nil }
        if case .plainWrite = kind { return .plainWrite }
        return .emulatedL1Update
    }

    /// A validated L1 table the guest owns: what `update_va_mapping` changes, and where Xen
    /// emulates a store that is not a plain write.
    @inline(__always)
    func isGuestL1(_ s: FastXenState, _ f: Int) -> Bool {
        !xenOwned(s, f) && meta(s, f) & (FastXen.typeMask | FastXen.validatedBit) == FastXen.tableType(1) | FastXen.validatedBit
    }

    /// Where a guest store at `page` goes, or the error (nothing changed yet).
    func storeTarget(_ s: FastXenState, vcpu: Int, page: Int, slot: Int) -> Result<(frame: Int, kind: StoreKind), XenError> {
        guard vcpu >= 0, vcpu < vcpuCount, slot >= 0, slot < slotCount else { return .failure(.einval) }
        let root = cr3(s, vcpu)
        guard root >= 0, page >= 0, page < pages else { return .failure(.efault) }
        let (l1, upperRW) = walkToL1(s, root: root, page: page)
        return storeTarget(s, l1: l1, upperRW: upperRW, page: page)
    }

    /// `storeTarget` once the walk for `page` has reached `l1` (-1: it did not) through
    /// upper entries whose RW bits AND to `upperRW`.
    func storeTarget(_ s: FastXenState, l1: Int, upperRW: Bool, page: Int) -> Result<(frame: Int, kind: StoreKind), XenError> {
        guard l1 >= 0 else { return .failure(.efault) }
        let leaf = entry(s, l1, index(page: page, level: 1))
        let t = vFrame[leaf]
        guard t != FastXen.noFrame else { return .failure(.efault) }
        let m = Int(t)
        if upperRW && vRW[leaf] && !isLivePageTable(s, m) { return .success((m, .plainWrite)) }
        guard isGuestL1(s, m) else { return .failure(.efault) }
        return .success((m, .emulated(l1: m)))
    }
}

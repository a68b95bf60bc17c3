/// The hypercalls a PV guest may issue, with any arguments (an adversarial guest), and the
/// plain guest store with the writable-pagetable assist.
///
/// Each request is atomic: it runs on a scratch copy (see `atomically`) and a rejected
/// request changes nothing. A batch (`mmu_update`, `mmuext_op`) stops at its first failing
/// request; the requests before it stay applied (`do_mmu_update` / `do_mmuext_op`).

extension XenState {
    /// Issue one hypercall on `vcpu`. Out-of-range vCPU: `-EINVAL`, nothing done.
    public mutating func hypercall(_ call: Hypercall, vcpu: Int) -> HypercallResult {
        guard cr3.indices.contains(vcpu) else { return HypercallResult(done: 0, error: .einval) }
        switch call {
        case .mmuUpdate(let requests):
            return batch(requests) { (s: inout XenState, r) throws(XenError) in try s.mmuUpdate(r) }
        case .mmuextOp(let ops):
            return batch(ops) { (s: inout XenState, op) throws(XenError) in try s.mmuextOp(op, vcpu: vcpu) }
        case .updateVAMapping(let va, let val, let flush):
            switch atomically({ (s: inout XenState) throws(XenError) in try s.updateVAMapping(vcpu: vcpu, va: va, val: val, flush: flush) }) {
            case .success: return HypercallResult(done: 1, error: nil)
            case .failure(let e): return HypercallResult(done: 0, error: e)
            }
        }
    }

    /// Apply requests in order, each atomically (`HypercallBatch.stopAtFirstFailure`).
    private mutating func batch<R>(_ requests: [R], _ one: (inout XenState, R) throws(XenError) -> Void) -> HypercallResult {
        HypercallBatch.stopAtFirstFailure(requests) { r in
            if case .failure(let e) = atomically({ (s: inout XenState) throws(XenError) in try one(&s, r) }) { return e }
            return nil
        }
    }

    // MARK: - mmu_update

    /// One `mmu_update` request (`do_mmu_update`).
    mutating func mmuUpdate(_ request: MMUUpdateRequest) throws(XenError) {
        switch request {
        case .normal(let ptr, let val):
            try writeEntry(ptr, val, preserveAD: false)
        case .preserveAD(let ptr, let val):
            guard config.preserveAD else { throw .einval }
            try writeEntry(ptr, val, preserveAD: true)
        case .machphys(let mfn, let pfn):
            // MMU_MACHPHYS_UPDATE: the frame must be the guest's; the pfn within the guest.
            guard isFrame(mfn) else { throw .einval }
            guard frames[mfn].owner == .guest else { throw .einval }   // get_page_from_mfn fails
            guard pfn >= 0, pfn < config.pfns else { throw .einval }
            m2p[mfn] = pfn
        }
    }

    /// `MMU_NORMAL_PT_UPDATE` / `MMU_PT_UPDATE_PRESERVE_AD` on the entry at `ptr`:
    /// a live page table is updated by `mod_lN_entry` (validated for its level); any other
    /// frame of the guest is written as plain data after `get_page_type(writable)` (which
    /// leaves it typed writable, count 0).
    mutating func writeEntry(_ ptr: EntryRef, _ val: PTE, preserveAD: Bool) throws(XenError) {
        guard isFrame(ptr.mfn) else { throw .einval }
        guard frames[ptr.mfn].owner == .guest else { throw .einval }   // do_mmu_update: not the domain's page
        guard let old = entry(ptr.mfn, ptr.slot) else { throw .einval }
        let frame = frames[ptr.mfn]
        if frame.isLivePageTable, let level = frame.type.level {
            try updateEntry(table: ptr.mfn, slot: ptr.slot, level: level, val: preserveAD ? val.preservingAD(of: old) : val)
        } else {
            try getPageType(ptr.mfn, .writable)
            frames[ptr.mfn].entries[ptr.slot] = val
        }
    }

    // MARK: - update_va_mapping

    /// `do_update_va_mapping`: find the L1 entry mapping `va` through the vCPU's current
    /// tables (`map_guest_l1e`) and apply `mod_l1_entry` to it. The table reached must be a
    /// live L1 (a walk through a linear entry reaches a higher-level table: refused).
    /// No cr3, `va` outside the address space, an upper entry not present: `-EINVAL`.
    /// The flush flags have no effect (the model has no TLB).
    mutating func updateVAMapping(vcpu: Int, va: Int, val: PTE, flush: UVMFFlush) throws(XenError) {
        guard cr3.indices.contains(vcpu), let root = cr3[vcpu], let p = page(ofVA: va) else { throw .einval }
        let w = walk(root: root, page: p)
        guard w.leaf != nil, w.tables.count == rootLevel, let l1 = w.tables.last else { throw .einval }
        guard isGuestFrame(l1), frames[l1].type == .l1, frames[l1].validated else { throw .einval }
        try updateEntry(table: l1, slot: index(page: p, level: 1), level: 1, val: val)
    }

    // MARK: - mmuext_op

    /// One `mmuext_op` request (`do_mmuext_op`).
    mutating func mmuextOp(_ op: MMUExtOp, vcpu: Int) throws(XenError) {
        switch op {
        case .pin(let level, let mfn):
            // MMUEXT_PIN_Ln_TABLE: get_page_and_type(Ln) then set PGT_pinned.
            guard (1...max(1, config.levels)).contains(level) else { throw .einval }
            guard isFrame(mfn) else { throw .einval }
            guard frames[mfn].owner == .guest else { throw .einval }   // get_page_and_type_from_mfn
            guard !frames[mfn].pinned else { throw .einval }
            try getPageType(mfn, .pageTable(level))
            frames[mfn].pinned = true
        case .unpin(let mfn):
            // MMUEXT_UNPIN_TABLE: drop the pin's references (devalidation follows).
            guard isFrame(mfn) else { throw .einval }
            guard frames[mfn].owner == .guest else { throw .einval }   // get_page_and_type_from_mfn
            guard frames[mfn].pinned else { throw .einval }
            frames[mfn].pinned = false
        case .newBaseptr(let mfn):
            // MMUEXT_NEW_BASEPTR: the new root must get the root type; the old root's
            // reference goes with the old cr3 value.
            guard isFrame(mfn) else { throw .einval }
            guard frames[mfn].owner == .guest else { throw .einval }   // get_page_and_type_from_mfn
            try getPageType(mfn, rootType)
            guard cr3.indices.contains(vcpu) else { throw .einval }
            cr3[vcpu] = mfn
        case .tlbFlush:
            return
        }
    }

    // MARK: - Guest stores

    /// A plain guest store of `val` into slot `slot` of the page mapped at `va` on `vcpu`.
    ///
    /// - writable mapping (effective RW) of a frame that is not a live page table: the store
    ///   goes to memory (`.plainWrite`);
    /// - read-only mapping of a live L1 frame: the writable-pagetable assist emulates the
    ///   store as `mod_l1_entry` on that entry (`.emulatedL1Update`), with the same rules and
    ///   codes as `mmu_update` (real Xen turns a refused emulation into a page fault for the
    ///   guest; the model reports the validation error so a trace says why);
    /// - a writable mapping of a live page table cannot exist while `no-writable-pagetable`
    ///   holds; should one exist (a mutation), an L1 is treated as the assist would and any
    ///   other table faults, so validated tables never hold unchecked entries;
    /// - anything else (no cr3, unmapped `va`, read-only non-L1 page): `-EFAULT`.
    /// Out-of-range vCPU or slot: `-EINVAL`. A failed store changes nothing.
    public mutating func guestStore(vcpu: Int, va: Int, slot: Int, val: PTE) -> Result<StoreOutcome, XenError> {
        guard cr3.indices.contains(vcpu), slot >= 0, slot < config.entriesPerTable else { return .failure(.einval) }
        guard let (mfn, writable) = translate(vcpu: vcpu, va: va), isFrame(mfn),
              frames[mfn].entries.indices.contains(slot) else { return .failure(.efault) }
        let frame = frames[mfn]
        if writable && !frame.isLivePageTable {
            frames[mfn].entries[slot] = val
            return .success(.plainWrite)
        }
        guard frame.owner == .guest, frame.type == .l1, frame.validated else { return .failure(.efault) }
        return atomically { (s: inout XenState) throws(XenError) in
            try s.updateEntry(table: mfn, slot: slot, level: 1, val: val)
            return StoreOutcome.emulatedL1Update
        }
    }
}

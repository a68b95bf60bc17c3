/// Pinning and unpinning a process page table (seed: `pin_page`, `unpin_page`, `xen_do_pin`,
/// `xen_pgd_pin`, `xen_pgd_unpin`).
///
/// Pinning order (`xen_pgd_pin`): `pgd_walk(pgd, pin_page, TASK_SIZE)` queues, for every page
/// not yet PagePinned, an `update_va_mapping` remapping it read-only in the kernel's direct
/// map, and for PTE pages an `MMUEXT_PIN_L1_TABLE` (with a `do_unlock` callback for the PTE
/// lock); then the root is pinned (`MMUEXT_PIN_L3_TABLE` on PAE, the root level in general),
/// and `xen_mc_issue(0)` issues the whole batch as one multicall.
/// Unpinning (`xen_pgd_unpin`) queues the root's `MMUEXT_UNPIN_TABLE` first, then walks with
/// `unpin_page`: PTE pages are unpinned, every page remapped read-write; one multicall.

/// The `mmuext_op` commands `xen_do_pin` is called with.
public enum PinCommand: Hashable, Sendable, Codable {
    /// `MMUEXT_PIN_L1_TABLE` .. `MMUEXT_PIN_L4_TABLE`.
    case pin(level: Int)
    /// `MMUEXT_UNPIN_TABLE`.
    case unpin
}

extension GuestState {
    /// `PagePinned(virt_to_page(ptr))` for the page `pfn` (`page_pinned`).
    public func isPagePinned(_ pfn: Int) -> Bool { pagePinned.contains(pfn) }

    /// `xen_do_pin(cmd, pfn)`: queue one `mmuext_op` (`__xen_mc_entry`, `MULTI_mmuext_op`) on
    /// the page's mfn (`pfn_to_mfn(pfn)`).
    mutating func xenDoPin(cpu: Int, _ cmd: PinCommand, pfn: Int) {
        let mfn = pfnToMFN(pfn)
        switch cmd {
        case .pin(let level): xenMCEntry(cpu: cpu, .mmuextOp([.pin(level: level, mfn: mfn)]))
        case .unpin: xenMCEntry(cpu: cpu, .mmuextOp([.unpin(mfn: mfn)]))
        }
    }

    /// `pin_page(page, level)`: `TestSetPagePinned`; if it was not pinned, queue the read-only
    /// remap of the page (`update_va_mapping(va, pfn_pte(pfn, PAGE_KERNEL_RO), level == PT_PGD ?
    /// UVMF_TLB_FLUSH : 0)`) and, for a PTE page, take its lock, queue `MMUEXT_PIN_L1_TABLE`
    /// and the `do_unlock` callback. Returns `flush` (only highmem pages need one: never here).
    mutating func pinPage(cpu: Int, pfn: Int, level: PTLevel) -> Bool {
        if pagePinned.contains(pfn) { return false }   // already pinned
        pagePinned.insert(pfn)
        let lock = level == .pte && !mutations.contains(.skipLockPTE)
        if lock { cpus[cpu].heldPTELocks.insert(pfn) }   // lock_pte
        let ro = ptePfnToMFN(PTE(frame: pfn, flags: GuestState.pageKernelRO))
        xenMCEntry(cpu: cpu, .updateVAMapping(va: directMapVA(pfn), val: ro, flush: level == .pgd ? .tlbFlush : .none))
        if level == .pte {
            xenDoPin(cpu: cpu, .pin(level: 1), pfn: pfn)
            if lock { xenMCCallback(cpu: cpu, .doUnlock(ptePfn: pfn)) }
        }
        return false
    }

    /// `unpin_page(page, level)`: `TestClearPagePinned`; if it was pinned: for a PTE page take
    /// its lock and queue `MMUEXT_UNPIN_TABLE`; then queue the read-write remap
    /// (`pfn_pte(pfn, PAGE_KERNEL)`) and, for a PTE page, the `do_unlock` callback.
    mutating func unpinPage(cpu: Int, pfn: Int, level: PTLevel) -> Bool {
        guard pagePinned.contains(pfn) else { return false }
        pagePinned.remove(pfn)
        let lock = level == .pte && !mutations.contains(.skipLockPTE)
        if lock { cpus[cpu].heldPTELocks.insert(pfn) }   // lock_pte
        if level == .pte { xenDoPin(cpu: cpu, .unpin, pfn: pfn) }
        let rw = ptePfnToMFN(PTE(frame: pfn, flags: GuestState.pageKernel))
        xenMCEntry(cpu: cpu, .updateVAMapping(va: directMapVA(pfn), val: rw, flush: level == .pgd ? .tlbFlush : .none))
        if lock { xenMCCallback(cpu: cpu, .doUnlock(ptePfn: pfn)) }
        return false   // never need to flush on unpin
    }

    /// `xen_pgd_pin(pgd)`: `xen_mc_batch()`; `pgd_walk(pgd, pin_page, TASK_SIZE)` (the
    /// highmem `kmap_flush_unused` branch never runs: no highmem); pin the root
    /// (`MMUEXT_PIN_L<levels>_TABLE`); `xen_mc_issue(0)`.
    mutating func xenPgdPin(cpu: Int, pgd: Int) {
        _ = pgdWalk(pgd, limit: config.taskSize) { s, pfn, level in s.pinPage(cpu: cpu, pfn: pfn, level: level) }
        xenDoPin(cpu: cpu, .pin(level: config.levels), pfn: pgd)
        xenMCIssue(cpu: cpu, mode: .none)
    }

    /// `xen_pgd_unpin(pgd)`: `xen_mc_batch()`; unpin the root first; `pgd_walk(pgd,
    /// unpin_page, TASK_SIZE)`; `xen_mc_issue(0)`.
    mutating func xenPgdUnpin(cpu: Int, pgd: Int) {
        xenDoPin(cpu: cpu, .unpin, pfn: pgd)
        _ = pgdWalk(pgd, limit: config.taskSize) { s, pfn, level in s.unpinPage(cpu: cpu, pfn: pfn, level: level) }
        xenMCIssue(cpu: cpu, mode: .none)
    }
}

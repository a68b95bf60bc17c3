/// Page-table entry updates (seed: `xen_set_pte`, `xen_set_pte_at`, `xen_set_pmd`,
/// `xen_set_pmd_hyper`, `xen_set_pud`, `xen_set_pud_hyper`, `xen_ptep_modify_prot_commit`,
/// `set_pte_mfn`, `make_lowmem_page_readonly`, `make_lowmem_page_readwrite`).
///
/// An entry pointer (`pte_t *ptep`, `pmd_t *`, `pud_t *`) is the page holding it (a pfn) and a
/// slot; `virt_to_machine(ptr)` is `EntryRef(mfn: pfn_to_mfn(pfn), slot:)`. Values passed here
/// are in machine format already (built by `xen_make_pte` & co., i.e. `ptePfnToMFN`).

/// A pointer to an entry in the guest's memory: page `pfn`, entry `slot`.
public struct EntryPointer: Hashable, Sendable, Codable, CustomStringConvertible {
    public var pfn: Int
    public var slot: Int
    public init(pfn: Int, slot: Int) { self.pfn = pfn; self.slot = slot }
    public var description: String { "pfn \(pfn)[\(slot)]" }
}

extension GuestState {
    /// `virt_to_machine(ptr)`: the machine address of the entry.
    public func virtToMachine(_ ptr: EntryPointer) -> EntryRef { EntryRef(mfn: pfnToMFN(ptr.pfn), slot: ptr.slot) }

    /// `xen_set_pte(ptep, pte)`: a plain store (the seed writes `pte_high` then `pte_low`; one
    /// store in the model). On a pinned PTE page (mapped read-only) Xen's writable-pagetable
    /// assist emulates it as an L1 update. A store Xen refuses is a kernel page fault: the seed's
    /// BUG (an oops).
    mutating func xenSetPTE(cpu: Int, _ ptr: EntryPointer, _ pte: PTE) {
        if case .failure(let e) = plainStore(cpu: cpu, pfn: ptr.pfn, slot: ptr.slot, pte) {
            BUG("xen_set_pte(\(ptr), \(pte)) on cpu \(cpu): the store faulted (\(e))")
        }
    }

    /// `xen_set_pte_at(mm, addr, ptep, pteval)`: for the current mm (or `init_mm`) try
    /// `update_va_mapping(addr, pteval, 0)` through the CPU's own tables: queued in lazy MMU
    /// mode (`xen_mc_entry`, `MULTI_update_va_mapping`, `xen_mc_issue(PARAVIRT_LAZY_MMU)`),
    /// else issued directly; a direct call that fails is *not* a BUG: the seed falls back to
    /// `xen_set_pte(ptep, pteval)`, which is also the path for any other mm.
    mutating func xenSetPTEAt(cpu: Int, mm: Int, addr: Int, _ ptep: EntryPointer, _ pteval: PTE) {
        if mm == cpus[cpu].currentMM || mm == GuestState.initMM {
            if paravirtGetLazyMode(cpu: cpu) == .mmu {
                xenMCEntry(cpu: cpu, .updateVAMapping(va: addr, val: pteval, flush: .none))
                xenMCIssue(cpu: cpu, mode: .mmu)
                return
            }
            if directHypercall(cpu: cpu, .updateVAMapping(va: addr, val: pteval, flush: .none)).succeeded { return }
        }
        xenSetPTE(cpu: cpu, ptep, pteval)
    }

    /// `xen_set_pmd_hyper(ptr, val)`: `xen_mc_batch()`; queue `{ptr: virt_to_machine(ptr),
    /// val: pmd_val_ma(val)}` with `extend_mmu_update`; `xen_mc_issue(PARAVIRT_LAZY_MMU)`.
    mutating func xenSetPMDHyper(cpu: Int, _ ptr: EntryPointer, _ val: PTE) {
        extendMMUUpdate(cpu: cpu, .normal(ptr: virtToMachine(ptr), val: val))
        xenMCIssue(cpu: cpu, mode: .mmu)
    }

    /// `xen_set_pmd(ptr, val)`: a plain store if the page holding the entry is not PagePinned,
    /// else `xen_set_pmd_hyper`.
    mutating func xenSetPMD(cpu: Int, _ ptr: EntryPointer, _ val: PTE) {
        if !isPagePinned(ptr.pfn) {
            if case .failure(let e) = plainStore(cpu: cpu, pfn: ptr.pfn, slot: ptr.slot, val) {
                BUG("xen_set_pmd(\(ptr), \(val)) on cpu \(cpu): the plain store faulted (\(e))")
            }
            return
        }
        xenSetPMDHyper(cpu: cpu, ptr, val)
    }

    /// `xen_set_pud_hyper(ptr, val)`: as `xen_set_pmd_hyper`, one level up.
    mutating func xenSetPUDHyper(cpu: Int, _ ptr: EntryPointer, _ val: PTE) {
        extendMMUUpdate(cpu: cpu, .normal(ptr: virtToMachine(ptr), val: val))
        xenMCIssue(cpu: cpu, mode: .mmu)
    }

    /// `xen_set_pud(ptr, val)`: a plain store if the page is not PagePinned, else the hypercall.
    mutating func xenSetPUD(cpu: Int, _ ptr: EntryPointer, _ val: PTE) {
        if !isPagePinned(ptr.pfn) {
            if case .failure(let e) = plainStore(cpu: cpu, pfn: ptr.pfn, slot: ptr.slot, val) {
                BUG("xen_set_pud(\(ptr), \(val)) on cpu \(cpu): the plain store faulted (\(e))")
            }
            return
        }
        xenSetPUDHyper(cpu: cpu, ptr, val)
    }

    /// `xen_ptep_modify_prot_commit(mm, addr, ptep, pte)`: `xen_mc_batch()`; queue
    /// `{ptr: virt_to_machine(ptep) | MMU_PT_UPDATE_PRESERVE_AD, val: pte_val_ma(pte)}` with
    /// `extend_mmu_update`; `xen_mc_issue(PARAVIRT_LAZY_MMU)`. (Xen keeps the old A/D bits.)
    mutating func xenPtepModifyProtCommit(cpu: Int, _ ptep: EntryPointer, _ pte: PTE) {
        extendMMUUpdate(cpu: cpu, .preserveAD(ptr: virtToMachine(ptep), val: pte))
        xenMCIssue(cpu: cpu, mode: .mmu)
    }

    /// `set_pte_mfn(vaddr, mfn, flags)`: walk `swapper_pg_dir` to the PTE of `vaddr` (the seed
    /// BUGs when an upper entry is none) and store `mfn_pte(mfn, flags)` as-is with
    /// `xen_set_pte` (`__flush_tlb_one` has no effect in the model: no TLB).
    public mutating func setPTEMFN(cpu: Int, vaddr: Int, mfn: Int, flags: PTEFlags) {
        guard cpus.indices.contains(cpu) else { return }
        guard let loc = entryLocation(pgd: swapperPgDir, va: vaddr, level: 1) else {
            BUG("set_pte_mfn(\(vaddr)): an upper entry of swapper_pg_dir is none")
            return
        }
        xenSetPTE(cpu: cpu, EntryPointer(pfn: loc.pfn, slot: loc.slot), PTE(frame: mfn, flags: flags))
    }

    /// `make_lowmem_page_readonly(vaddr)`: `lookup_address` (BUG if unmapped), then
    /// `update_va_mapping(vaddr, pte_wrprotect(*pte), 0)`, BUG if Xen refuses.
    mutating func makeLowmemPageReadonly(cpu: Int, vaddr: Int) {
        drainInFlight(cpu: cpu)   // it reads the kernel's tables: Xen's answers first
        guard let loc = lookupAddress(vaddr), let pte = readEntry(pfn: loc.pfn, slot: loc.slot) else {
            BUG("make_lowmem_page_readonly(0x\(String(vaddr, radix: 16))): lookup_address found no pte")
            return
        }
        var ptev = pte
        ptev.flags.remove(.rw)
        if let e = directHypercall(cpu: cpu, .updateVAMapping(va: vaddr, val: ptev, flush: .none)).error {
            BUG("make_lowmem_page_readonly(0x\(String(vaddr, radix: 16))): update_va_mapping failed with \(e)")
        }
    }

    /// `make_lowmem_page_readwrite(vaddr)`: as above with `pte_mkwrite`.
    mutating func makeLowmemPageReadwrite(cpu: Int, vaddr: Int) {
        drainInFlight(cpu: cpu)   // it reads the kernel's tables: Xen's answers first
        guard let loc = lookupAddress(vaddr), let pte = readEntry(pfn: loc.pfn, slot: loc.slot) else {
            BUG("make_lowmem_page_readwrite(0x\(String(vaddr, radix: 16))): lookup_address found no pte")
            return
        }
        var ptev = pte
        ptev.flags.insert(.rw)
        if let e = directHypercall(cpu: cpu, .updateVAMapping(va: vaddr, val: ptev, flush: .none)).error {
            BUG("make_lowmem_page_readwrite(0x\(String(vaddr, radix: 16))): update_va_mapping failed with \(e)")
        }
    }
}

/// The balloon driver (`drivers/xen/balloon.c` of Linux 2.6.27, next to the seed): the p2m
/// changes while the guest runs. `decrease_reservation` gives a free page's frame back to Xen
/// and marks the pfn invalid in the p2m; `increase_reservation` takes a fresh frame from Xen
/// for a ballooned pfn and maps it again. So `p2m-roundtrip` is checked on a table that
/// changes, and a pfn may come back with another mfn.
///
/// The model's balloon holds at most one page at a time, and releases the lowest free page
/// (docs/model.md, "Balloon"). Both run with no multicall batched or in flight on their CPU
/// (outside lazy sections), so which idle CPU runs them makes no difference.

extension GuestState {
    /// The pfns in the balloon: no machine frame in the p2m (`INVALID_P2M_ENTRY`).
    public var balloonedPages: [Int] {
        (0..<config.pfns).filter { pfnToMFN($0) == P2M.invalidEntry }
    }

    /// `decrease_reservation(1)` for the free page `pfn` (`balloon_alloc`'d from the allocator):
    /// `scrub_page`; `HYPERVISOR_update_va_mapping(__va(pfn), __pte_ma(0), 0)` and `BUG_ON(ret)`;
    /// `flush_tlb_all` (no TLB in the model); `set_phys_to_machine(pfn, INVALID_P2M_ENTRY)`;
    /// `HYPERVISOR_memory_op(XENMEM_decrease_reservation)` and `BUG_ON(ret != nr_pages)`.
    mutating func decreaseReservation(cpu: Int, pfn: Int) {
        let mfn = pfnToMFN(pfn)
        let va = directMapVA(pfn)
        if let e = directHypercall(cpu: cpu, .updateVAMapping(va: va, val: .none, flush: .none)).error {
            BUG("decrease_reservation: update_va_mapping(0x\(String(va, radix: 16)), 0) of pfn \(pfn) failed with \(e)")
            return
        }
        if let e = p2m.setPhysToMachine(pfn, P2M.invalidEntry) { BUG(e.description); return }
        if let e = xen.decreaseReservation(mfn: mfn) {
            BUG("decrease_reservation: XENMEM_decrease_reservation of mfn \(mfn) (pfn \(pfn)) failed with \(e)")
        }
    }

    /// `increase_reservation(1)` for the ballooned `pfn`: `HYPERVISOR_memory_op
    /// (XENMEM_populate_physmap)` (Xen hands a frame and sets its m2p entry);
    /// `BUG_ON(phys_to_machine_mapping_valid(pfn))`; `set_phys_to_machine(pfn, mfn)`;
    /// `HYPERVISOR_update_va_mapping(__va(pfn), mfn_pte(mfn, PAGE_KERNEL), 0)` and `BUG_ON(ret)`;
    /// the page goes back to the allocator. The caller has checked Xen's heap is not empty
    /// (else the call returns 0 extents and the page stays in the balloon: nothing changes).
    mutating func increaseReservation(cpu: Int, pfn: Int) {
        guard let mfn = xen.populatePhysmap(pfn: pfn) else { return }
        if pfnToMFN(pfn) != P2M.invalidEntry {
            BUG("increase_reservation: BUG_ON(phys_to_machine_mapping_valid(\(pfn)))")
            return
        }
        if let e = p2m.setPhysToMachine(pfn, mfn) { BUG(e.description); return }
        let va = directMapVA(pfn)
        let pte = PTE(frame: mfn, flags: GuestState.pageKernel)
        if let e = directHypercall(cpu: cpu, .updateVAMapping(va: va, val: pte, flush: .none)).error {
            BUG("increase_reservation: update_va_mapping(0x\(String(va, radix: 16)), mfn \(mfn)) of pfn \(pfn) failed with \(e)")
        }
    }

    /// Whether Xen's heap has a frame for `populate_physmap` (what the call's return tells).
    var xenHeapHasFrame: Bool { xen.freeHeapFrame != nil }
}

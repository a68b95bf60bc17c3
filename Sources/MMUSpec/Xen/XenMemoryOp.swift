/// `HYPERVISOR_memory_op` as the balloon driver uses it (Xen's `xen/common/memory.c`):
/// `XENMEM_decrease_reservation` gives a frame back to Xen, `XENMEM_populate_physmap` hands
/// the guest a fresh one.
///
/// These are reached only through the guest's balloon steps (`GuestState.decreaseReservation`,
/// `increaseReservation`), not offered at the hypervisor level: the fast engine and the
/// symbolic encoding do not have them (docs/model.md, "Balloon").
extension XenState {
    /// `decrease_reservation` -> `guest_remove_page(d, gmfn)` for one frame of the guest:
    /// the allocation reference is dropped, the m2p entry invalidated
    /// (`guest_physmap_remove_page`), and the frame goes back to Xen's heap.
    ///
    /// Simplification: Xen frees the page only when its last reference goes, and a page still
    /// mapped lingers (the call itself succeeds). The model has no lingering pages: a frame
    /// some reference still names (a mapping, a pin, a cr3) is refused with `-EINVAL`, which
    /// the guest's `BUG_ON(ret != nr_pages)` turns into a BUG. A correct balloon driver
    /// unmaps the page first, so only a broken one meets the difference.
    public mutating func decreaseReservation(mfn: Int) -> XenError? {
        guard isGuestFrame(mfn) else { return .einval }
        guard generalCount(mfn) == 0 else { return .einval }   // mappings, pins and cr3s all count
        frames[mfn] = Frame.zeroed(entries: config.entriesPerTable)
        frames[mfn].owner = .xen
        m2p[mfn] = nil
        return nil
    }

    /// `populate_physmap` of one order-0 extent for guest pfn `pfn`: the lowest free frame of
    /// Xen's heap (a frame Xen owns that nothing references) becomes the guest's, zeroed, and,
    /// the guest being PV (not `paging_mode_translate`), Xen sets its m2p entry itself
    /// (`set_gpfn_from_mfn(mfn, gpfn)`). Returns the mfn, or nil when the heap is empty (the
    /// call returns 0 extents).
    public mutating func populatePhysmap(pfn: Int) -> Int? {
        guard let mfn = freeHeapFrame else { return nil }
        frames[mfn] = Frame.zeroed(entries: config.entriesPerTable)
        m2p[mfn] = pfn
        return mfn
    }

    /// The lowest frame of Xen's heap: owned by Xen, named by no reference (no mapping, pin or
    /// cr3). Nil when the heap is empty.
    public var freeHeapFrame: Int? {
        let counts = generalCounts()
        return frames.indices.first { frames[$0].owner == .xen && counts[$0] == 0 }
    }
}

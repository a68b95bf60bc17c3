/// Save/restore (seed: `xen_mm_pin_all`, `xen_mm_unpin_all`).
///
/// Before a save, every pgd on `pgd_list` must be pinned so that the tools can canonicalise
/// the mfns in it; the ones pinned only for this are marked SavePinned and unpinned again on
/// resume, so the rest of the kernel sees no unexpected pinned tables. Both run under
/// `stop_machine`: the model lets nothing else happen in between (`suspended`).

extension GuestState {
    /// `xen_mm_pin_all()`: for every pgd on `pgd_list` (the process mms, in slot order) that is
    /// not PagePinned: `xen_pgd_pin` and `SetPageSavePinned`.
    mutating func xenMMPinAll(cpu: Int) {
        for i in mms.indices.dropFirst() {
            guard let pgd = mms[i]?.pgd, !isPagePinned(pgd) else { continue }
            xenPgdPin(cpu: cpu, pgd: pgd)
            savePinned.insert(pgd)
        }
    }

    /// `xen_mm_unpin_all()`: for every SavePinned pgd on `pgd_list`:
    /// `BUG_ON(!PagePinned(page))`, `xen_pgd_unpin`, `ClearPageSavePinned`.
    mutating func xenMMUnpinAll(cpu: Int) {
        for i in mms.indices.dropFirst() {
            guard let pgd = mms[i]?.pgd, savePinned.contains(pgd) else { continue }
            if !isPagePinned(pgd) {
                BUG("xen_mm_unpin_all: BUG_ON(!PagePinned) for pgd \(pgd)")
                return
            }
            xenPgdUnpin(cpu: cpu, pgd: pgd)
            savePinned.remove(pgd)
        }
    }
}

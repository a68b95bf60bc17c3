import Testing
@testable import MMUSpec

/// Save/restore on the 2-level layout with two mms: mm 1 runs (pinned), mm 2 is under
/// construction (unpinned). pfns: swapper 0-2, mm 1 pgd 3 + PTE page 4, mm 2 pgd 5 + PTE page 6.
@Suite("Guest save/restore")
struct GuestSaveRestoreTests {
    static func twoMMs() -> GuestState {
        var s = GuestState(config: GuestConfigs.twoLevel(mms: 2, pfns: 8))
        s.run([.mmAlloc(cpu: 0, mm: 1), .pteAlloc(cpu: 0, mm: 1, va: 0), .mmAlloc(cpu: 0, mm: 2),
               .pteAlloc(cpu: 0, mm: 2, va: 0), .activateMM(cpu: 0, mm: 1)])
        #expect(s.mms[1]?.pgd == 3 && s.mms[2]?.pgd == 5)
        #expect(s.isPagePinned(3) && !s.isPagePinned(5))
        return s
    }

    @Test("mm-pin-all pins exactly the unpinned pgds (SavePinned); nothing else runs until mm-unpin-all")
    func pinAll() {
        var s = Self.twoMMs()
        #expect(s.apply(.mmPinAll(cpu: 1)) == .ok)
        #expect(s.savePinned == [5])
        #expect(s.isPagePinned(5) && s.isPagePinned(6))
        #expect(s.xen.frames[7 - 5].pinned && s.xen.frames[7 - 6].pinned)
        #expect(s.suspended)
        #expect(s.allViolations() == [])
        #expect(s.enabledOperations() == [.mmUnpinAll(cpu: 0)])
        #expect(s.apply(.switchMM(cpu: 1, mm: 2, stayLazy: false)) == .notApplicable)
    }

    @Test("mm-pin-all then mm-unpin-all leaves exactly the previous pin state")
    func roundTrip() {
        let before = Self.twoMMs()
        var s = before
        s.run([.mmPinAll(cpu: 0), .mmUnpinAll(cpu: 0)])
        #expect(s.pagePinned == before.pagePinned)
        #expect(s.savePinned.isEmpty)
        #expect(s.xen.frames.map(\.pinned) == before.xen.frames.map(\.pinned))
        for p in 0..<8 { #expect(s.kernelMapping(of: p) == before.kernelMapping(of: p)) }
        #expect(s == before)   // in fact the whole state is back
        #expect(s.allViolations() == [])
    }

    @Test("mm-unpin-all BUGs on a SavePinned pgd that is no longer PagePinned")
    func unpinAllBug() {
        var s = Self.twoMMs()
        s.run([.mmPinAll(cpu: 0)])
        s.pagePinned.remove(5)   // corrupt the bookkeeping
        let r = s.apply(.mmUnpinAll(cpu: 0))
        #expect(r == .failed("xen_mm_unpin_all: BUG_ON(!PagePinned) for pgd 5"))
    }
}

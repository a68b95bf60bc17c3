import Testing
@testable import MMUSpec

@Suite("Xen: guest stores and the writable-pagetable assist")
struct XenGuestStoreTests {
    @Test("a store through a writable mapping of a data page is a plain write")
    func plainWrite() {
        var s = built()
        #expect(s.guestStore(vcpu: 0, va: 0, slot: 1, val: pte(1, PW)) == .success(.plainWrite))
        #expect(s.frames[2].entries == [.none, pte(1, PW)])
        expectAllHold(s)   // frame 2 is data: its contents mean nothing to Xen
    }

    @Test("a store to a read-only mapped live L1 is emulated as an L1 update, with the L1 rules")
    func emulatedL1Update() {
        var s = built()
        run(&s, [upd(0, 1, pte(0, P))])        // linear slot: page 2 maps the L1 (frame 1) read-only
        #expect(s.guestStore(vcpu: 0, va: 0x2000, slot: 1, val: pte(2, P)) == .success(.emulatedL1Update))
        #expect(s.frames[1].entries == [pte(2, PW), pte(2, P)])
        expectAllHold(s)
        let before = s
        #expect(s.guestStore(vcpu: 0, va: 0x2000, slot: 1, val: pte(0, PW)) == .failure(.ebusy))
        #expect(s.guestStore(vcpu: 0, va: 0x2000, slot: 0, val: pte(2, [.present, .pse])) == .failure(.einval))
        #expect(s == before)
        // Emulation drops references like mmu_update: clearing the only RW entry frees frame 2.
        #expect(s.guestStore(vcpu: 0, va: 0x2000, slot: 0, val: .none) == .success(.emulatedL1Update))
        #expect(!s.frames[2].validated)
        expectAllHold(s)
    }

    @Test("other stores fault: read-only non-L1 page, read-only data page, unmapped va, no cr3")
    func faults() {
        var s = built()
        run(&s, [upd(0, 1, pte(0, P)), upd(1, 1, pte(2, P))])
        let before = s
        #expect(s.guestStore(vcpu: 0, va: 0x3000, slot: 0, val: .none) == .failure(.efault))   // the root, RO
        #expect(s.guestStore(vcpu: 0, va: 0x1000, slot: 0, val: .none) == .failure(.efault))   // data page, RO
        #expect(s == before)
        var u = built()
        #expect(u.guestStore(vcpu: 0, va: 0x1000, slot: 0, val: .none) == .failure(.efault))   // unmapped
        var fresh = XenState(config: smallConfig())
        #expect(fresh.guestStore(vcpu: 0, va: 0, slot: 0, val: .none) == .failure(.efault))    // no cr3
        #expect(u == built() && fresh == XenState(config: smallConfig()))
    }
}

import Testing
@testable import MMUSpec

/// The p2m table and the pte conversions (PAE layout: pfn p has mfn 7-p).
@Suite("Guest p2m")
struct GuestP2MTests {
    static let invalid = P2M.invalidEntry

    @Test("get_phys_to_machine: set values, INVALID for holes and beyond MAX_DOMAIN_PAGES")
    func getSet() {
        var p = P2M(maxDomainPages: 4)
        #expect(p.getPhysToMachine(0) == Self.invalid)
        #expect(p.setPhysToMachine(2, 5) == nil)
        #expect(p.getPhysToMachine(2) == 5)
        #expect(p.setPhysToMachine(2, Self.invalid) == nil)
        #expect(p.getPhysToMachine(2) == Self.invalid)
        #expect(p.getPhysToMachine(4) == Self.invalid)      // == MAX_DOMAIN_PAGES
        #expect(p.getPhysToMachine(-1) == Self.invalid)
        // Beyond MAX_DOMAIN_PAGES only INVALID may be stored (and is dropped).
        let before = p
        #expect(p.setPhysToMachine(4, Self.invalid) == nil)
        #expect(p == before)
        #expect(p.setPhysToMachine(4, 1) == .beyondMaxDomainPages(pfn: 4, mfn: 1))
        #expect(p == before)
    }

    @Test("set-phys-to-machine as a guest op: beyond MAX_DOMAIN_PAGES with a valid mfn is the seed's BUG")
    func setOp() {
        var s = GuestState(config: GuestConfigs.pae())
        #expect(s.apply(.setPhysToMachine(pfn: 8, mfn: Self.invalid)) == .ok)
        #expect(s.allViolations() == [])
        #expect(s.apply(.setPhysToMachine(pfn: 7, mfn: Self.invalid)) == .ok)
        #expect(s.pfnToMFN(7) == Self.invalid)
        #expect(s.apply(.setPhysToMachine(pfn: 7, mfn: 0)) == .ok)
        #expect(s.pfnToMFN(7) == 0)
        var t = s
        #expect(t.apply(.setPhysToMachine(pfn: 8, mfn: 1)) == .failed(P2M.SetError.beyondMaxDomainPages(pfn: 8, mfn: 1).description))
        #expect(t.check(.noFailedHypercall) != nil)
        // Pointing a pfn at another pfn's frame breaks the round trip with the m2p.
        #expect(s.apply(.setPhysToMachine(pfn: 7, mfn: 1)) == .ok)
        #expect(s.check(.p2mRoundtrip) != nil)
    }

    @Test("pte conversions: present entries round-trip, flags untouched; non-present entries pass through")
    func conversions() {
        let s = GuestState(config: GuestConfigs.pae())
        let flags: PTEFlags = [.present, .rw, .user, .dirty, .nx]
        #expect(s.ptePfnToMFN(PTE(frame: 2, flags: flags)) == PTE(frame: 5, flags: flags))
        #expect(s.pteMFNToPfn(PTE(frame: 5, flags: flags)) == PTE(frame: 2, flags: flags))
        for pfn in 0..<8 {
            let e = PTE(frame: pfn, flags: [.present, .accessed])
            #expect(s.pteMFNToPfn(s.ptePfnToMFN(e)) == e)
        }
        // A swap entry (not present) keeps its number and flags both ways.
        let swap = PTE(frame: 3, flags: [.dirty, .avail])
        #expect(s.ptePfnToMFN(swap) == swap && s.pteMFNToPfn(swap) == swap)
        // A pfn without a frame converts to INVALID.
        #expect(s.ptePfnToMFN(PTE(frame: 9, flags: [.present])).frame == Self.invalid)
        #expect(s.mfnToPFN(42) == Self.invalid)
    }

    @Test("p2m-roundtrip catches a stale m2p entry and a mapped frame whose pfn left the p2m")
    func roundtripInvariant() {
        let s = GuestState(config: GuestConfigs.pae())
        #expect(s.check(.p2mRoundtrip) == nil)
        var t = s
        t.xen.m2p[5] = 3                       // p2m[2] = 5 but m2p[5] = 3
        #expect(t.check(.p2mRoundtrip) == "p2m[2] = 5 but m2p[5] = 3")
        // Ballooning pfn 7 out of the p2m while the kernel direct map still maps its frame
        // (the balloon driver clears that mapping first): the entry no longer converts back.
        var u = s
        u.p2m.setPhysToMachine(7, Self.invalid)
        #expect(u.check(.p2mRoundtrip)?.contains("converts back") == true)
    }
}

import Testing
@testable import MMUSpec

@Suite("Xen: entry rules and get_page_type")
struct XenValidationTests {
    @Test("a writable mapping of a pinned page-table frame is refused with -EBUSY")
    func writableMappingOfPinnedRefused() {
        let before = built()
        var s = before
        #expect(s.hypercall(upd(1, 1, pte(0, PW)), vcpu: 0) == failed(.ebusy))   // RW to the root
        #expect(s.hypercall(upd(1, 1, pte(1, PW)), vcpu: 0) == failed(.ebusy))   // RW to itself
        #expect(s == before)
    }

    @Test("a read-only mapping of a page-table frame takes a general reference only")
    func readOnlyMappingOfPagetable() {
        var s = built()
        #expect(s.hypercall(upd(1, 1, pte(0, P)), vcpu: 0) == ok1)
        #expect(s.typeCounts() == [2, 2, 1])
        #expect(s.generalCounts() == [3, 2, 1])
        #expect(xlate(s, 0x1000) == pte(0, P))
        expectAllHold(s)
    }

    @Test("pinning a table that holds a writable entry to another page-table frame is refused")
    func pinTableWithWritableEntryToPagetable() {
        var s = XenState(config: smallConfig())
        run(&s, [ext(.pin(level: 1, mfn: 2)), upd(1, 0, pte(2, PW))])
        let before = s
        #expect(s.hypercall(ext(.pin(level: 1, mfn: 1)), vcpu: 0) == failed(.ebusy))
        #expect(s == before)
        // The same table through an L2: the nested failure propagates and nothing changes.
        run(&s, [upd(0, 0, pte(1, P))])
        let before2 = s
        #expect(s.hypercall(ext(.pin(level: 2, mfn: 0)), vcpu: 0) == failed(.ebusy))
        #expect(s == before2)
    }

    @Test("a table that maps itself writable through a child cannot be validated")
    func cycleThroughChildRefused() {
        var s = XenState(config: smallConfig())
        run(&s, [upd(0, 0, pte(1, P)), upd(1, 0, pte(0, PW))])
        let before = s
        #expect(s.hypercall(ext(.pin(level: 2, mfn: 0)), vcpu: 0) == failed(.ebusy))
        #expect(s.hypercall(ext(.newBaseptr(mfn: 0)), vcpu: 0) == failed(.ebusy))
        #expect(s == before)
    }

    @Test("types are exclusive: a frame in force as one type cannot get another (-EINVAL)")
    func typesExclusive() {
        var s = built()
        let before = s
        #expect(s.hypercall(ext(.pin(level: 1, mfn: 2)), vcpu: 0) == failed(.einval))   // writable in force
        #expect(s.hypercall(ext(.pin(level: 1, mfn: 0)), vcpu: 0) == failed(.einval))   // pinned already
        #expect(s.hypercall(upd(0, 1, pte(2, P)), vcpu: 0) == failed(.einval))          // L2 entry to a data page
        #expect(s == before)
    }

    @Test("PSE and unknown flag bits are refused in present entries, ignored in non-present ones")
    func disallowedFlags() {
        var s = built()
        let before = s
        #expect(s.hypercall(upd(1, 1, pte(2, [.present, .pse])), vcpu: 0) == failed(.einval))
        #expect(s.hypercall(upd(1, 1, pte(2, [.present, PTEFlags(rawValue: 1 << 3)])), vcpu: 0) == failed(.einval))
        #expect(s.hypercall(upd(0, 1, pte(1, [.present, .pse])), vcpu: 0) == failed(.einval))
        #expect(s == before)
        #expect(s.hypercall(upd(1, 1, pte(2, [.pse])), vcpu: 0) == ok1)   // not present: data for the guest
        expectAllHold(s)
    }

    @Test("frames Xen owns cannot be mapped (L1: -EBUSY, could_not_pin) or updated, pinned, or given an m2p entry (-EINVAL)")
    func xenOwnedFrames() {
        var s = built()
        run(&s, [upd(1, 0, .none)])           // frame 2 free again
        s.frames[2].owner = .xen
        let before = s
        #expect(s.hypercall(upd(1, 1, pte(2, P)), vcpu: 0) == failed(.ebusy))
        #expect(s.hypercall(upd(2, 0, pte(1, P)), vcpu: 0) == failed(.einval))
        #expect(s.hypercall(ext(.pin(level: 1, mfn: 2)), vcpu: 0) == failed(.einval))
        #expect(s.hypercall(.mmuUpdate([.machphys(mfn: 2, pfn: 0)]), vcpu: 0) == failed(.einval))
        #expect(s == before)
    }

    @Test("a read-only linear (recursive) entry is accepted and takes no reference on itself")
    func readOnlyLinearEntry() {
        var s = built()
        #expect(s.hypercall(upd(0, 1, pte(0, P)), vcpu: 0) == ok1)
        #expect(s.typeCounts() == [2, 2, 1])
        #expect(s.generalCounts() == [2, 2, 1])
        // Through the linear slot the tables appear read-only: page 2 maps frame 1, page 3 frame 0.
        #expect(xlate(s, 0x2000) == pte(1, P))
        #expect(xlate(s, 0x3000) == pte(0, P))
        #expect(s.writableFrames() == [2])
        expectAllHold(s)
    }

    @Test("XSA-182: adding RW to a read-only recursive root entry is refused")
    func xsa182Refused() {
        var s = built()
        run(&s, [upd(0, 1, pte(0, P))])
        let before = s
        #expect(s.hypercall(upd(0, 1, pte(0, PW)), vcpu: 0) == failed(.einval))
        #expect(s == before)
        // ... and installing a writable self-reference directly too.
        var t = built()
        #expect(t.hypercall(upd(0, 1, pte(0, PW)), vcpu: 0) == failed(.einval))
        #expect(t == built())
    }

    @Test("XSA-182 with the old fast path (frame and PRESENT unchanged): accepted, and no-writable-pagetable breaks")
    func xsa182OldFastPath() {
        var s = built(mutations: [.oldFastPath])
        run(&s, [upd(0, 1, pte(0, P))])
        expectAllHold(s)
        #expect(s.hypercall(upd(0, 1, pte(0, PW)), vcpu: 0) == ok1)
        #expect(s.frames[0].entries[1] == pte(0, PW))
        #expect(xlate(s, 0x2000) == pte(1, PW))   // the L1 is now writable through the root
        #expect(xlate(s, 0x3000) == pte(0, PW))   // and so is the root itself
        #expect(s.check(.noWritablePagetable) != nil)
        #expect(s.check(.validatedEntries) != nil)
    }

    @Test("the fast path whitelist does not include RW: adding RW to an L1 entry is re-validated")
    func fastPathWhitelist() {
        var s = built()
        run(&s, [upd(1, 1, pte(0, P))])
        let before = s
        #expect(s.hypercall(upd(1, 1, pte(0, PW)), vcpu: 0) == failed(.ebusy))
        #expect(s == before)
        // Whitelisted bits (A, D, GLOBAL, ...) change on the fast path.
        #expect(s.hypercall(upd(1, 1, pte(0, [.present, .accessed, .dirty, .global])), vcpu: 0) == ok1)
        expectAllHold(s)
        // The old fast path (XSA-182) concerned L2-L4 entries: old mod_l1_entry re-validated a
        // change of RW too, so the same L1 addition is still refused under the mutation (its
        // L2 case, RW added to a linear entry, is the golden old-fast-path trace).
        var m = built(mutations: [.oldFastPath])
        run(&m, [upd(1, 1, pte(0, P))])
        #expect(m.hypercall(upd(1, 1, pte(0, PW)), vcpu: 0) == failed(.ebusy))
    }

    @Test("allow-writable-l1-to-pagetable lets a writable mapping of a page table in; no-writable-pagetable catches it")
    func mutationAllowWritableL1() {
        var s = built(mutations: [.allowWritableL1ToPagetable])
        #expect(s.hypercall(upd(1, 1, pte(0, PW)), vcpu: 0) == ok1)
        #expect(xlate(s, 0x1000) == pte(0, PW))
        #expect(s.check(.noWritablePagetable) != nil)
        #expect(s.check(.validatedEntries) != nil)
        #expect(s.check(.countsMatch) != nil)
    }

    @Test("with recursive entries off, linear and self entries are refused")
    func recursiveEntriesOff() {
        var s = built(config: smallConfig(frames: 4, recursive: false))
        run(&s, [ext(.pin(level: 2, mfn: 3))])      // an empty second root
        let before = s
        #expect(s.hypercall(upd(0, 1, pte(0, P)), vcpu: 0) == failed(.einval))   // self
        #expect(s.hypercall(upd(0, 1, pte(3, P)), vcpu: 0) == failed(.einval))   // linear to another L2
        #expect(s == before)
    }

    @Test("an L2 entry to another validated L2 (not itself) is a linear entry: RO accepted, RW refused")
    func linearToOtherRoot() {
        var s = built(config: smallConfig(frames: 4))
        run(&s, [ext(.pin(level: 2, mfn: 3))])      // an empty second root
        #expect(s.hypercall(upd(0, 1, pte(3, PW)), vcpu: 0) == failed(.einval))
        #expect(s.hypercall(upd(0, 1, pte(3, P)), vcpu: 0) == ok1)
        #expect(s.typeCounts() == [2, 2, 1, 2])       // pin + the linear reference
        // Unpinning frame 3 keeps it validated: the linear entry still holds it.
        run(&s, [ext(.unpin(mfn: 3))])
        #expect(s.frames[3].validated)
        expectAllHold(s)
    }
}

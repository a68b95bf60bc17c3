import Testing
@testable import MMUSpec

/// Each invariant must catch a state that breaks it (hand-made: the correct rules never
/// produce one), naming the frame or entry at fault.
@Suite("Xen: invariants catch broken states")
struct XenInvariantTests {
    @Test("no-writable-pagetable: a writable walk to a page table, also through the recursive slot")
    func noWritablePagetable() {
        var s = built()
        s.frames[1].entries[1] = pte(1, PW)            // the L1 maps itself RW (raw memory)
        #expect(s.check(.noWritablePagetable)?.contains("frame 1") == true)
        var r = built()
        r.frames[0].entries[1] = pte(0, PW)            // writable recursive root entry (XSA-182)
        #expect(r.check(.noWritablePagetable) != nil)
        var q = built()                                 // read-only recursion is fine
        q.frames[0].entries[1] = pte(0, P)
        #expect(q.check(.noWritablePagetable) == nil)
        var pinned = built()                            // a pinned frame counts even as an L1 leaf
        pinned.frames[2] = Frame(type: .l1, validated: true, pinned: true, entries: [.none, .none])
        #expect(pinned.check(.noWritablePagetable)?.contains("frame 2") == true)
    }

    @Test("no-pagetable-from-writable: a frame typed writable used as a table of a walk")
    func noPagetableFromWritable() {
        var s = built()
        s.frames[0].entries[1] = pte(2, PW)            // frame 2 (typed writable, mapped RW) used as an L1
        #expect(s.check(.noPagetableFromWritable)?.contains("frame 2 is typed writable") == true)
        var t = built()
        t.frames[1].type = .writable                   // the L1 of va 0 retyped writable (its pin counts)
        #expect(t.check(.noPagetableFromWritable)?.contains("frame 1 is typed writable") == true)
        #expect(built().check(.noPagetableFromWritable) == nil)
    }

    @Test("validated-entries: each level's rule is checked entry by entry")
    func validatedEntries() {
        var a = built(); a.frames[1].entries[1] = pte(0, PW)
        #expect(a.check(.validatedEntries)?.contains("entry 1[1]") == true)
        var b = built(); b.frames[0].entries[1] = pte(2, P)         // L2 entry to a data page
        #expect(b.check(.validatedEntries)?.contains("needs an L1 table") == true)
        var c = built(); c.frames[1].entries[1] = pte(2, [.present, .pse])
        #expect(c.check(.validatedEntries)?.contains("disallowed") == true)
        var d = built(); d.frames[1].entries[1] = pte(7, P)
        #expect(d.check(.validatedEntries)?.contains("names no machine frame") == true)
        var e = built(config: smallConfig(recursive: false)); e.frames[0].entries[1] = pte(0, P)
        #expect(e.check(.validatedEntries)?.contains("recursive entries are off") == true)
        var f = built(); f.frames[2].owner = .xen
        #expect(f.check(.validatedEntries)?.contains("does not own") == true)
        var g = built(); g.frames[0].entries[1] = pte(0, PW)
        #expect(g.check(.validatedEntries)?.contains("writable self-reference") == true)
    }

    @Test("counts-match: references demand the current type, validated means referenced, pins are live tables")
    func countsMatch() {
        var a = built(); a.frames[2].type = .l1                    // the RW entry demands writable
        #expect(a.check(.countsMatch)?.contains("demands type writable of frame 2") == true)
        var b = built(); b.frames[1].validated = false              // the root's entry demands a validated L1
        #expect(b.check(.countsMatch)?.contains("frame 1") == true)
        var c = built(); c.frames[2].entries = [.none, .none]
        c.frames[1].entries[0] = .none                              // nothing references frame 2 any more
        #expect(c.check(.countsMatch)?.contains("devalidation missed") == true)
        var d = XenState(config: smallConfig()); d.frames[0].pinned = true
        #expect(d.check(.countsMatch)?.contains("pinned") == true)
        var e = built(); e.cr3 = [1]                                // a cr3 demands the root type
        #expect(e.check(.countsMatch)?.contains("cr3 of vCPU 0") == true)
        #expect(built().check(.countsMatch) == nil)
    }
}

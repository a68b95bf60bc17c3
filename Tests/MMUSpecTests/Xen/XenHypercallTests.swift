import Testing
@testable import MMUSpec

@Suite("Xen: hypercalls")
struct XenHypercallTests {
    @Test("update-va-mapping rewrites the L1 entry mapping va through the vCPU's tables")
    func updateVAMapping() {
        var s = built()
        #expect(s.hypercall(.updateVAMapping(va: 0x1000, val: pte(2, P), flush: .invlpg), vcpu: 0) == ok1)
        #expect(s.frames[1].entries == [pte(2, PW), pte(2, P)])
        #expect(xlate(s, 0x1000) == pte(2, P))
        #expect(s.hypercall(.updateVAMapping(va: 0x1000, val: pte(0, PW), flush: .tlbFlush), vcpu: 0) == failed(.ebusy))
        expectAllHold(s)
    }

    @Test("update-va-mapping fails where no L1 maps va: unmapped, no cr3, out of range, via a linear entry")
    func updateVAMappingFailures() {
        var s = built()
        let before = s
        #expect(s.hypercall(.updateVAMapping(va: 0x2000, val: pte(2, P), flush: .none), vcpu: 0) == failed(.einval))
        #expect(s.hypercall(.updateVAMapping(va: 0x4000, val: pte(2, P), flush: .none), vcpu: 0) == failed(.einval))
        #expect(s.hypercall(.updateVAMapping(va: -0x1000, val: pte(2, P), flush: .none), vcpu: 0) == failed(.einval))
        #expect(s == before)
        var fresh = XenState(config: smallConfig())
        #expect(fresh.hypercall(.updateVAMapping(va: 0, val: pte(2, P), flush: .none), vcpu: 0) == failed(.einval))
        #expect(fresh == XenState(config: smallConfig()))
        // Through the recursive slot the "L1" reached is the root itself: refused.
        run(&s, [upd(0, 1, pte(0, P))])
        let linear = s
        #expect(s.hypercall(.updateVAMapping(va: 0x2000, val: pte(2, P), flush: .none), vcpu: 0) == failed(.einval))
        #expect(s.hypercall(.updateVAMapping(va: 0x3000, val: .none, flush: .none), vcpu: 0) == failed(.einval))
        #expect(s == linear)
    }

    @Test("pin and unpin: pinning a pinned frame and unpinning an unpinned one are -EINVAL")
    func pinUnpinErrors() {
        var s = built()
        let before = s
        #expect(s.hypercall(ext(.pin(level: 2, mfn: 0)), vcpu: 0) == failed(.einval))
        #expect(s.hypercall(ext(.pin(level: 1, mfn: 1)), vcpu: 0) == failed(.einval))
        #expect(s.hypercall(ext(.unpin(mfn: 2)), vcpu: 0) == failed(.einval))
        #expect(s == before)
        #expect(s.hypercall(ext(.unpin(mfn: 1)), vcpu: 0) == ok1)
        #expect(s.hypercall(ext(.unpin(mfn: 1)), vcpu: 0) == failed(.einval))
    }

    @Test("unpin cascades devalidation down the tree once nothing holds it; types are kept")
    func unpinCascade() {
        var s = XenState(config: smallConfig())
        run(&s, [upd(1, 0, pte(2, PW)), upd(0, 0, pte(1, PW)),
                 ext(.pin(level: 1, mfn: 1)), ext(.pin(level: 2, mfn: 0))])
        run(&s, [ext(.unpin(mfn: 1))])
        #expect(s.frames[1].validated && !s.frames[1].pinned)   // the root's entry still holds it
        #expect(s.typeCounts() == [1, 1, 1])
        run(&s, [ext(.unpin(mfn: 0))])
        #expect(s.frames.map(\.validated) == [false, false, false])
        #expect(s.frames.map(\.type) == [.l2, .l1, .writable])
        #expect(s.typeCounts() == [0, 0, 0])
        #expect(s.generalCounts() == [0, 0, 0])
        expectAllHold(s)
        // Frame 1 is no longer a page table in force: now it can be written as data.
        run(&s, [upd(1, 1, pte(0, PW))])
        #expect(s.frames[1].type == .writable)
    }

    @Test("a cr3 keeps its tree validated after every pin is dropped")
    func cr3HoldsTree() {
        var s = built()
        run(&s, [ext(.unpin(mfn: 0)), ext(.unpin(mfn: 1))])
        #expect(s.frames.map(\.validated) == [true, true, true])
        #expect(s.typeCounts() == [1, 1, 1])
        expectAllHold(s)
    }

    @Test("a batch stops at its first failing request; earlier requests stay applied")
    func batchStopsAtFirstFailure() {
        var s = built()
        let r = s.hypercall(.mmuUpdate([
            .normal(ptr: EntryRef(mfn: 1, slot: 1), val: pte(2, P)),
            .normal(ptr: EntryRef(mfn: 1, slot: 1), val: pte(0, PW)),   // -EBUSY
            .normal(ptr: EntryRef(mfn: 0, slot: 1), val: pte(0, P)),    // never reached
        ]), vcpu: 0)
        #expect(r == HypercallResult(done: 1, error: .ebusy))
        #expect(s.frames[1].entries == [pte(2, PW), pte(2, P)])
        #expect(s.frames[0].entries == [pte(1, PW), .none])
        var t = built()
        let e = t.hypercall(.mmuextOp([.unpin(mfn: 1), .unpin(mfn: 1), .unpin(mfn: 0)]), vcpu: 0)
        #expect(e == HypercallResult(done: 1, error: .einval))
        #expect(t.frames.map(\.pinned) == [true, false, false])
        #expect(t.hypercall(.mmuUpdate([]), vcpu: 0) == HypercallResult(done: 0, error: nil))
        #expect(t.hypercall(.mmuextOp([.tlbFlush]), vcpu: 0) == ok1)
    }

    @Test("mmu-update-preserve-ad keeps the old Accessed/Dirty bits; refused when the feature is off")
    func preserveAD() {
        var s = built()
        run(&s, [upd(1, 0, pte(2, [.present, .rw, .accessed, .dirty]))])   // fast path: A/D only
        let ad = HypercallResult(done: 1, error: nil)
        #expect(s.hypercall(.mmuUpdate([.preserveAD(ptr: EntryRef(mfn: 1, slot: 0), val: pte(2, P))]), vcpu: 0) == ad)
        #expect(s.frames[1].entries[0] == pte(2, [.present, .accessed, .dirty]))
        #expect(!s.frames[2].validated)     // the RW reference went with the RW bit
        var n = built()
        run(&n, [upd(1, 0, pte(2, [.present, .rw, .accessed, .dirty])), upd(1, 0, pte(2, P))])
        #expect(n.frames[1].entries[0] == pte(2, P))   // a normal update drops them
        expectAllHold(s)
        var off = built(config: smallConfig(preserveAD: false))
        let before = off
        #expect(off.hypercall(.mmuUpdate([.preserveAD(ptr: EntryRef(mfn: 1, slot: 0), val: pte(2, P))]), vcpu: 0) == failed(.einval))
        #expect(off == before)
    }

    @Test("mmu-update-machphys sets m2p[mfn] = pfn for a guest frame and a pfn in range")
    func machphys() {
        var s = built()
        #expect(s.hypercall(.mmuUpdate([.machphys(mfn: 2, pfn: 1)]), vcpu: 0) == ok1)
        #expect(s.m2p == [nil, nil, 1])
        let before = s
        #expect(s.hypercall(.mmuUpdate([.machphys(mfn: 3, pfn: 0)]), vcpu: 0) == failed(.einval))
        #expect(s.hypercall(.mmuUpdate([.machphys(mfn: 0, pfn: 3)]), vcpu: 0) == failed(.einval))
        #expect(s.hypercall(.mmuUpdate([.machphys(mfn: -1, pfn: 0)]), vcpu: 0) == failed(.einval))
        #expect(s.hypercall(.mmuUpdate([.machphys(mfn: 0, pfn: -1)]), vcpu: 0) == failed(.einval))
        #expect(s == before)
    }

    @Test("out-of-range arguments give an error and change nothing")
    func outOfRange() {
        var s = built()
        let before = s
        let bad: [(Hypercall, Int)] = [
            (upd(0, 0, .none), 1), (upd(0, 0, .none), -1),
            (upd(3, 0, .none), 0), (upd(-1, 0, .none), 0), (upd(Int.max, 0, .none), 0),
            (upd(2, 2, .none), 0), (upd(2, -1, .none), 0),
            (upd(1, 1, pte(3, P)), 0), (upd(1, 1, pte(-5, P)), 0), (upd(1, 1, pte(Int.max, PW)), 0),
            (ext(.pin(level: 0, mfn: 2)), 0), (ext(.pin(level: 3, mfn: 2)), 0), (ext(.pin(level: -1, mfn: 2)), 0),
            (ext(.pin(level: 1, mfn: 3)), 0), (ext(.unpin(mfn: -1)), 0), (ext(.newBaseptr(mfn: 9)), 0),
            (ext(.newBaseptr(mfn: 0)), 1),
            (.updateVAMapping(va: Int.max, val: .none, flush: .none), 0),
            (.updateVAMapping(va: Int.min, val: .none, flush: .none), 0),
        ]
        for (call, vcpu) in bad {
            let r = s.hypercall(call, vcpu: vcpu)
            #expect(r.error != nil && r.done == 0, "\(call) on vCPU \(vcpu) gave \(r)")
            #expect(s == before, "\(call) changed the state")
        }
        for (vcpu, va, slot) in [(1, 0, 0), (-1, 0, 0), (0, 0, 2), (0, 0, -1), (0, -1, 0), (0, 0x4000, 0), (0, Int.max, 0)] {
            let r = s.guestStore(vcpu: vcpu, va: va, slot: slot, val: .none)
            #expect(r == .failure(vcpu == 0 && (0..<2).contains(slot) ? .efault : .einval), "store \(vcpu) \(va) \(slot)")
            #expect(s == before)
        }
        #expect(s.typeCount(-1) == 0 && s.generalCount(99) == 0)
        // Pin levels outside 1...levels are refused even for a free frame.
        var f = XenState(config: smallConfig())
        for level in [0, 3, -1, Int.max] {
            #expect(f.hypercall(ext(.pin(level: level, mfn: 0)), vcpu: 0) == failed(.einval), "level \(level)")
        }
        #expect(f == XenState(config: smallConfig()))
        #expect(s.translate(vcpu: 7, va: 0) == nil)
    }
}

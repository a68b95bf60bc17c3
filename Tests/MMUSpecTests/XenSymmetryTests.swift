import Testing
@testable import MMUSpec

@Suite("Xen: frame symmetry")
struct XenSymmetryTests {
    @Test("permutingFrames renames frames, entries, cr3s and m2p consistently and round-trips")
    func roundTrip() {
        var s = built()
        run(&s, [upd(0, 1, pte(0, P)), .mmuUpdate([.machphys(mfn: 2, pfn: 1)])])
        let perm = [2, 0, 1], inverse = [1, 2, 0]
        let p = s.permutingFrames(perm)
        #expect(p.cr3 == [2])
        #expect(p.m2p == [nil, 1, nil])
        #expect(p.frames[2].entries == [pte(0, PW), pte(2, P)])   // old frame 0: [1 -> 0, self 0 -> 2]
        #expect(p.frames[0].entries == [pte(1, PW), .none])       // old frame 1: [2 -> 1]
        #expect(p.typeCounts() == [2, 1, 2])
        #expect(xlate(p, 0) == pte(1, PW))
        #expect(p.permutingFrames(inverse) == s)
        expectAllHold(p)
        #expect(s.permutingFrames([0, 1]) == s)          // not a permutation: unchanged
        #expect(s.permutingFrames([0, 0, 1]) == s)
    }

    @Test("a permuted state answers the permuted action exactly as the state answers the action")
    func commutesWithEveryAction() {
        var s = built(config: smallConfig())
        run(&s, [upd(0, 1, pte(0, P))])
        let perm = [1, 2, 0]
        for a in XenState.allActions(config: s.config, flagChoices: [P, PW]) {
            var x = s, y = s.permutingFrames(perm)
            let rx = x.apply(a)
            let ry = y.apply(XenState.permuting(a, perm))
            #expect(rx == ry, "\(a)")
            #expect(x.permutingFrames(perm) == y, "\(a)")
        }
    }
}

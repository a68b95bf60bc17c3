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
        for a in XenOperationTests.everyAction(s.config) {
            var x = s, y = s.permutingFrames(perm)
            let rx = x.apply(a)
            let ry = y.apply(XenState.permuting(a, perm))
            #expect(rx == ry, "\(a)")
            #expect(x.permutingFrames(perm) == y, "\(a)")
        }
    }
}

@Suite("Xen: slot symmetry")
struct XenSlotSymmetryTests {
    /// States reached by a seeded random walk over every action (a mix of tables, pins,
    /// cr3s, linear entries and refused calls), for the automorphism checks below.
    static func reachable(_ config: MMUConfig, count: Int, seed: UInt64) -> [XenState] {
        let actions = XenState.allActions(config: config, flagChoices: [P, PW])
        var s = XenState(config: config)
        var out: [XenState] = []
        var x = seed
        while out.count < count {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            let a = actions[Int((x >> 33) % UInt64(actions.count))]
            var t = s
            if t.apply(a).succeeded { s = t; out.append(s) }
        }
        return out
    }

    /// `codes: false`: a refused step's error code may differ (which entry fails first can
    /// depend on the slots' order: -EINVAL or -EBUSY), only success and successor must agree,
    /// which is what the explorer's states depend on.
    static func sameAnswers(_ config: MMUConfig, renameState: (XenState) -> XenState,
                            renameAction: (XenAction) -> XenAction, states: [XenState], codes: Bool = true) -> String? {
        let actions = XenOperationTests.everyAction(config)
        for s in states {
            let r = renameState(s)
            for inv in Invariant.hypervisorLevel where (s.check(inv) == nil) != (r.check(inv) == nil) {
                return "\(inv.rawValue) differs on a renamed state"
            }
            for a in actions {
                var x = s, y = r
                let rx = x.apply(a), ry = y.apply(renameAction(a))
                if codes ? rx != ry : rx.succeeded != ry.succeeded { return "\(a): \(rx) vs \(ry)" }
                if renameState(x) != y { return "\(a): the renamed successor differs" }
            }
        }
        return nil
    }

    @Test("without linear entries, renaming slots and addresses is an automorphism of the hypervisor's states and steps (2 and 3 levels, 2 and 3 slots)",
          arguments: [(2, 2), (3, 2), (2, 3)])
    func automorphism(_ levels: Int, _ entries: Int) {
        let config = MMUConfig(levels: levels, entriesPerTable: entries, machineFrames: 3, pfns: 3, vcpus: 2,
                               recursiveEntries: false, preserveAD: true)
        let states = Self.reachable(config, count: 200, seed: UInt64(levels * 10 + entries))
        let sigmas = XenState.slotPermutations(config)
        #expect(sigmas.count == (entries == 2 ? 2 : 6) && sigmas[0] == Array(0..<entries))
        for sigma in sigmas.dropFirst() {
            let why = Self.sameAnswers(config, renameState: { $0.permutingSlots(sigma) },
                                       renameAction: { XenState.permutingSlots($0, sigma, config: config) }, states: states, codes: false)
            #expect(why == nil, "sigma \(sigma): \(why ?? "")")
        }
    }

    /// With linear entries the order in which a table's slots are validated matters, so slot
    /// renaming is no automorphism and symmetry leaves slots alone (a soundness bug found in
    /// review: the explorer merged states whose pins answer differently).
    @Test func linearEntriesMakeSlotOrderMatter() {
        let config = MMUConfig(levels: 3, entriesPerTable: 2, machineFrames: 3, pfns: 3, vcpus: 1,
                               recursiveEntries: true, preserveAD: true)
        var s = XenState(config: config)
        s.frames[0].entries = [pte(2, P), pte(1, P)]
        s.frames[1].entries = [pte(2, P), .none]
        var x = s, y = s.permutingSlots([1, 0])
        let pin = XenAction.hypercall(vcpu: 0, .mmuextOp([.pin(level: 3, mfn: 0)]))
        #expect(x.apply(pin).succeeded)
        #expect(!y.apply(pin).succeeded)
        #expect(XenState.slotPermutations(MMUConfig(entriesPerTable: 2, recursiveEntries: true)) == [[0, 1]])
        #expect(XenState.slotPermutations(MMUConfig(entriesPerTable: 2, recursiveEntries: false)).count == 2)
        // Slot 3 of a 32-bit guest's L3 is Xen's: the slots are not interchangeable.
        var compat = MMUConfig(levels: 3, entriesPerTable: 4, recursiveEntries: false)
        #expect(XenState.slotPermutations(compat).count == 24)
        compat.compatL3 = true
        #expect(XenState.slotPermutations(compat) == [[0, 1, 2, 3]])
    }

    /// Frame renaming, on many states and every renaming of 3 frames (with linear entries).
    @Test(arguments: [2, 3])
    func everyFrameRenamingIsAnAutomorphism(_ levels: Int) {
        let config = MMUConfig(levels: levels, entriesPerTable: 2, machineFrames: 3, pfns: 3, vcpus: 2,
                               recursiveEntries: true, preserveAD: true)
        let states = Self.reachable(config, count: 100, seed: UInt64(levels))
        for perm in Permutations.all(of: 3).dropFirst() {
            let why = Self.sameAnswers(config, renameState: { $0.permutingFrames(perm) },
                                       renameAction: { XenState.permuting($0, perm) }, states: states)
            #expect(why == nil, "perm \(perm): \(why ?? "")")
        }
    }

    /// The known-false twin: renaming the slots of one frame only (or the slots but not the
    /// addresses) is not an automorphism, and the same check says so.
    @Test("the check refutes renamings that are not automorphisms")
    func twinIsRefuted() {
        let config = smallConfig(recursive: false)
        let states = Self.reachable(config, count: 40, seed: 5)
        let swap = [1, 0]
        let oneFrame = Self.sameAnswers(config, renameState: { s in
            var t = s
            t.frames[0].entries.reverse()
            return t
        }, renameAction: { a in
            guard case .hypercall(let v, .mmuUpdate(let rs)) = a, case .normal(let p, let val) = rs[0], p.mfn == 0 else { return a }
            return .hypercall(vcpu: v, .mmuUpdate([.normal(ptr: EntryRef(mfn: 0, slot: swap[p.slot]), val: val)]))
        }, states: states, codes: false)
        #expect(oneFrame != nil)
        let slotsNotAddresses = Self.sameAnswers(config, renameState: { $0.permutingSlots(swap) },
                                                 renameAction: { a in
            if case .hypercall(let v, .mmuUpdate(let rs)) = a, case .normal(let p, let val) = rs[0] {
                return .hypercall(vcpu: v, .mmuUpdate([.normal(ptr: EntryRef(mfn: p.mfn, slot: swap[p.slot]), val: val)]))
            }
            return a
        }, states: states, codes: false)
        #expect(slotsNotAddresses != nil)
    }

    @Test("addresses are renamed digit by digit and round-trip")
    func addresses() {
        let config = MMUConfig(levels: 3, entriesPerTable: 2, machineFrames: 3, pfns: 3, vcpus: 1)
        let page = MMUConfig.pageSize
        // page 1 = digits (l1: 1, l2: 0, l3: 0) -> (0, 1, 1) = page 6
        #expect(XenState.permutingSlots(va: 1 * page, [1, 0], config: config) == 6 * page)
        #expect(XenState.permutingSlots(va: 1 * page + 8, [1, 0], config: config) == 6 * page + 8)
        for p in 0..<8 {
            let once = XenState.permutingSlots(va: p * page, [1, 0], config: config)
            #expect(XenState.permutingSlots(va: once, [1, 0], config: config) == p * page)
        }
        #expect(XenState.permutingSlots(va: 8 * page, [1, 0], config: config) == 8 * page)   // outside: unchanged
    }
}

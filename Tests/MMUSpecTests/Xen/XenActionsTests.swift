import Testing
@testable import MMUSpec

@Suite("Xen: the adversarial guest's actions")
struct XenActionsTests {
    let flags: [PTEFlags] = [P, PW]

    @Test("allActions enumerates every operation with every in-range argument, deterministically")
    func enumeration() {
        let c = MMUConfig(levels: 2, entriesPerTable: 2, machineFrames: 2, pfns: 1, vcpus: 2)
        let a = XenState.allActions(config: c, flagChoices: flags)
        #expect(a == XenState.allActions(config: c, flagChoices: flags))
        let values = 1 + 2 * 2            // PTE.none + frames x flag choices
        let counts = Dictionary(grouping: a, by: \.name).mapValues(\.count)
        #expect(counts["mmu-update"] == 2 * 2 * values)
        #expect(counts["mmu-update-preserve-ad"] == 2 * 2 * values)
        #expect(counts["mmu-update-machphys"] == 2 * 1)
        #expect(counts["pin"] == 2 * 2)
        #expect(counts["unpin"] == 2)
        #expect(counts["new-baseptr"] == 2 * 2)              // per vCPU
        #expect(counts["update-va-mapping"] == 2 * 4 * values)
        #expect(counts["guest-store"] == 2 * 4 * 2 * values)
        #expect(a.count == counts.values.reduce(0, +))
        #expect(Set(a.map(\.name)).isSubset(of: Set(XenAction.operationNames)))
        #expect(Set(a).count == a.count)
        #expect(a.first == .hypercall(vcpu: 0, .mmuUpdate([.normal(ptr: EntryRef(mfn: 0, slot: 0), val: .none)])))
        let off = MMUConfig(levels: 2, entriesPerTable: 2, machineFrames: 2, pfns: 1, preserveAD: false)
        #expect(!XenState.allActions(config: off, flagChoices: flags).contains { $0.name == "mmu-update-preserve-ad" })
    }

    @Test("operation names are the documented kebab-case names")
    func names() {
        let e = EntryRef(mfn: 0, slot: 0)
        let cases: [(XenAction, String)] = [
            (.hypercall(vcpu: 0, .mmuUpdate([.normal(ptr: e, val: .none)])), "mmu-update"),
            (.hypercall(vcpu: 0, .mmuUpdate([.preserveAD(ptr: e, val: .none)])), "mmu-update-preserve-ad"),
            (.hypercall(vcpu: 0, .mmuUpdate([.machphys(mfn: 0, pfn: 0)])), "mmu-update-machphys"),
            (.hypercall(vcpu: 0, ext(.pin(level: 1, mfn: 0))), "pin"),
            (.hypercall(vcpu: 0, ext(.unpin(mfn: 0))), "unpin"),
            (.hypercall(vcpu: 0, ext(.newBaseptr(mfn: 0))), "new-baseptr"),
            (.hypercall(vcpu: 0, .updateVAMapping(va: 0, val: .none, flush: .none)), "update-va-mapping"),
            (.hypercall(vcpu: 0, ext(.tlbFlush)), "tlb-flush"),
            (.guestStore(vcpu: 0, va: 0, slot: 0, val: .none), "guest-store"),
        ]
        for (a, n) in cases { #expect(a.name == n) }
        #expect(cases.map(\.1) == XenAction.operationNames)
        #expect(Invariant.hypervisorLevel.map(\.rawValue) ==
                ["no-writable-pagetable", "no-pagetable-from-writable", "validated-entries", "counts-match"])
        #expect(XenMutation.allCases.map(\.rawValue) == ["allow-writable-l1-to-pagetable", "old-fast-path", "compat-l3-linear"])
    }

    @Test("apply answers like hypercall / guestStore")
    func apply() {
        var s = built()
        #expect(s.apply(.hypercall(vcpu: 0, ext(.unpin(mfn: 2)))) == .failed(.einval))
        #expect(s.apply(.guestStore(vcpu: 0, va: 0, slot: 0, val: pte(1, P))) == .ok)
        #expect(s.apply(.guestStore(vcpu: 0, va: 0x1000, slot: 0, val: .none)) == .failed(.efault))
        #expect(s.apply(.hypercall(vcpu: 0, upd(1, 1, pte(0, PW)))) == .failed(.ebusy))
        #expect(s.frames[2].entries[0] == pte(1, P))
    }
}

import Testing
@testable import MMUSpec

/// The invariants that hold the guest's bookkeeping to Xen's state (issue #12, item 4):
/// `page-pinned-agrees` and the cr3 conjuncts of `no-stale-cr3`. Each breaks on a state
/// that differs from a good one in exactly the bit it is about.
@Suite("Guest bookkeeping invariants")
struct GuestBookkeepingTests {
    /// A running process: mm 1 allocated, pinned by exec on cpu 0, everything issued.
    static func running() -> GuestState {
        var s = GuestState(config: GuestConfigs.pae())
        _ = s.run([.mmAlloc(cpu: 0, mm: 1), .pteAlloc(cpu: 0, mm: 1, va: 0), .activateMM(cpu: 0, mm: 1)])
        return s
    }

    @Test func aRunningProcessSatisfiesBoth() {
        let s = Self.running()
        #expect(s.check(.pagePinnedAgrees) == nil)
        #expect(s.check(.noStaleCR3) == nil)
    }

    @Test func pagePinnedAgreesBreaksOnEachMismatch() throws {
        let good = Self.running()
        let pgd = try #require(good.mms[1]?.pgd)
        // SavePinned without PagePinned.
        var a = good
        a.savePinned.insert(9)
        #expect(a.check(.pagePinnedAgrees)?.contains("SavePinned") == true)
        // Xen holds a pin the guest forgot.
        var b = good
        b.pagePinned.remove(pgd)
        #expect(b.check(.pagePinnedAgrees)?.contains("pinned in Xen but not PagePinned") == true)
        // PagePinned on a page that is no live table in Xen (the data page).
        var c = good
        let data = try #require(good.dataPage())
        c.pagePinned.insert(data)
        #expect(c.check(.pagePinnedAgrees)?.contains("is PagePinned but frame") == true)
        // A pending call for the page exempts it until it has run.
        var d = c
        d.cpus[1].inFlight = [InFlightMulticall(entries: [.updateVAMapping(va: d.directMapVA(data), val: .none, flush: .none)], callbacks: [])]
        #expect(d.check(.pagePinnedAgrees) == nil)
    }

    @Test func noStaleCR3ComparesEachCPUsLoadWithItsActiveMM() throws {
        let good = Self.running()
        // cpu 0 runs mm 1 (TLBSTATE_OK): Linux's xen_cr3 must be what Xen has.
        var a = good
        a.cpus[0].xenCR3 = a.swapperPgDir
        #expect(a.check(.noStaleCR3)?.contains("xen_cr3 is pfn") == true)
        // Its active mm must be the one loaded.
        var b = good
        b.cpus[0].activeMM = 0
        b.cpus[0].tlbLazy = false
        #expect(b.check(.noStaleCR3)?.contains("active mm") == true)
        // A pending cr3 load of an unpinned table is stale already.
        var c = good
        let data = try #require(good.dataPage())
        c.cpus[1].mc.entries = [.mmuextOp([.newBaseptr(mfn: c.pfnToMFN(data))])]
        #expect(c.check(.noStaleCR3)?.contains("cr3 load of frame") == true)
    }
}

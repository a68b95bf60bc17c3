import Testing
@testable import MMUSpec

/// The balloon driver (issue #12, item 5): the p2m changes while the guest runs, and a pfn
/// can come back with another machine frame.
@Suite("Guest balloon")
struct GuestBalloonTests {
    /// The PAE miniature with one machine frame more than pfns: Xen's heap has a frame.
    static func config() -> MMUConfig {
        var c = GuestConfigs.pae()
        c.machineFrames = 9
        return c
    }

    @Test("decrease-reservation gives a free page's frame back to Xen; increase-reservation maps a fresh one, and every invariant holds throughout")
    func releaseAndRepopulate() throws {
        var s = GuestState(config: Self.config())
        let p = try #require(s.allocatablePages().first)
        let old = s.pfnToMFN(p)
        #expect(s.enabledOperations().contains(.decreaseReservation(cpu: 0, pfn: p)))
        s.run([.decreaseReservation(cpu: 0, pfn: p)])
        #expect(s.pfnToMFN(p) == P2M.invalidEntry)
        #expect(s.xen.m2p[old] == nil && s.xen.frames[old].owner == .xen)
        #expect(s.kernelMapping(of: p) == PTE.none)                  // __va(pfn) unmapped first
        #expect(s.balloonedPages == [p] && !s.allocatablePages().contains(p))
        #expect(s.allViolations() == [])
        // One page at a time in the model's balloon.
        #expect(!s.enabledOperations().contains { if case .decreaseReservation = $0 { true } else { false } })

        #expect(s.enabledOperations().contains(.increaseReservation(cpu: 0, pfn: p)))
        s.run([.increaseReservation(cpu: 0, pfn: p)])
        let new = s.pfnToMFN(p)
        #expect(new == 0 && new != old)                                 // Xen's lowest free frame
        #expect(s.xen.m2p[new] == p && s.xen.frames[new].owner == .guest)
        #expect(s.kernelMapping(of: p) == PTE(frame: new, flags: GuestState.pageKernel))
        #expect(s.allocatablePages().contains(p) && s.balloonedPages.isEmpty)
        #expect(s.allViolations() == [])

        // The page is reused as a page table with its new frame: a process's tables pin.
        s.run([.mmAlloc(cpu: 0, mm: 1), .activateMM(cpu: 0, mm: 1)])
        #expect(s.allViolations() == [])
    }

    @Test("with as many machine frames as pfns, the released frame is the one that comes back")
    func sameFrameBack() throws {
        var s = GuestState(config: GuestConfigs.pae())                 // machine frames == pfns
        let p = try #require(s.allocatablePages().first)
        let old = s.pfnToMFN(p)
        #expect(!s.xenHeapHasFrame)
        s.run([.decreaseReservation(cpu: 1, pfn: p)])
        #expect(s.xenHeapHasFrame)
        s.run([.increaseReservation(cpu: 1, pfn: p)])
        #expect(s.pfnToMFN(p) == old && !s.xenHeapHasFrame)
        #expect(s.allViolations() == [])
    }

    @Test("Xen refuses to take back a frame something still references, and the seed BUGs")
    func referencedFrameIsRefused() throws {
        var s = GuestState(config: Self.config())
        // A page that is not free (a page table of swapper_pg_dir) cannot be offered.
        #expect(s.apply(.decreaseReservation(cpu: 0, pfn: s.swapperPgDir)) == .notApplicable)
        // Xen's side on its own: a pinned root is refused.
        var x = s.xen
        #expect(x.decreaseReservation(mfn: s.pfnToMFN(s.swapperPgDir)) == .einval)
        #expect(x == s.xen)
        // A free page mapped by a user PTE: the direct map is cleared but the user mapping
        // remains, so the release is refused and the guest BUGs (what a broken balloon meets).
        s.run([.mmAlloc(cpu: 0, mm: 1), .activateMM(cpu: 0, mm: 1), .pteAlloc(cpu: 0, mm: 1, va: 0)])
        let data = try #require(s.dataPage())
        s.run([.setPteAt(cpu: 0, mm: 1, va: 0, pte: PTE(frame: data, flags: GuestState.pageShared))])
        #expect(!s.allocatablePages().contains(data))
        var forced = s
        forced.decreaseReservation(cpu: 0, pfn: data)
        #expect(forced.bug?.contains("XENMEM_decrease_reservation") == true)
    }
}

import Testing
@testable import MMUSpec

/// pgd_walk on the PAE layout (TASK_SIZE = 64 pages = PGDIR_SIZE, FIXADDR_TOP = 128 pages).
@Suite("Guest pgd_walk")
struct GuestWalkTests {
    static let page = MMUConfig.pageSize

    static func process() -> GuestState {
        var s = GuestState(config: GuestConfigs.pae())
        s.run([.mmAlloc(cpu: 0, mm: 1), .pteAlloc(cpu: 0, mm: 1, va: 0)])
        return s
    }

    @Test("with limit TASK_SIZE the walk visits PTE pages only below it, in the seed's order")
    func taskSizeLimit() {
        let s = Self.process()
        let (visits, bug) = s.pgdWalkVisits(pgd: 3, limit: s.config.taskSize)
        #expect(bug == nil)
        #expect(visits.map(\.pfn) == [4, 6, 5, 3])
        #expect(visits.map(\.level) == [.pmd, .pte, .pmd, .pgd])
        #expect(visits.filter { $0.level == .pte }.allSatisfy { $0.end <= s.config.taskSize })
        #expect(visits[1].start == 0 && visits[1].end == 8 * Self.page)
    }

    @Test("with limit FIXADDR_TOP the same walk also visits the kernel PTE page")
    func fixaddrLimit() {
        let s = Self.process()
        let (visits, bug) = s.pgdWalkVisits(pgd: 3, limit: s.config.fixaddrTop)
        #expect(bug == nil)
        #expect(visits.map(\.pfn) == [4, 6, 5, 2, 3])
        #expect(visits[3].level == .pte && visits[3].start == 64 * Self.page && visits[3].end == 72 * Self.page)
    }

    @Test("a limit above FIXADDR_TOP is the seed's BUG")
    func limitAboveFixaddrTop() {
        var s = Self.process()
        let (visits, bug) = s.pgdWalkVisits(pgd: 3, limit: s.config.fixaddrTop + Self.page)
        #expect(visits.isEmpty)
        #expect(bug == "pgd_walk: BUG_ON(limit > FIXADDR_TOP): limit \(s.config.fixaddrTop + Self.page) > \(s.config.fixaddrTop)")
        _ = s.pgdWalk(3, limit: s.config.fixaddrTop + Self.page) { _, _, _ in false }
        #expect(s.check(.walkLimit) != nil)
    }

    @Test("a limit that is not on a PTE-page boundary skips the partly covered PTE page")
    func unalignedLimit() {
        let s = Self.process()
        let (visits, _) = s.pgdWalkVisits(pgd: 3, limit: 4 * Self.page)
        #expect(!visits.contains { $0.level == .pte })
    }

    @Test("walk-limit: a frame pinned as L1 above TASK_SIZE is caught")
    func pinnedKernelL1() {
        var s = GuestState(config: GuestConfigs.pae())
        #expect(s.check(.walkLimit) == nil)
        // Pin the kernel PTE page (pfn 2, mfn 5) as an L1: Xen allows it, the guest must never.
        #expect(s.xen.hypercall(.mmuextOp([.pin(level: 1, mfn: 5)]), vcpu: 0).succeeded)
        #expect(s.check(.walkLimit)?.contains("frame 5 is pinned as L1") == true)
    }

    @Test("the 2-level walk (pud and pmd folded) visits PTE pages straight from pgd entries")
    func twoLevel() {
        var s = GuestState(config: GuestConfigs.twoLevel())
        s.run([.mmAlloc(cpu: 0, mm: 1), .pteAlloc(cpu: 0, mm: 1, va: 4 * Self.page)])
        let pgd = s.mms[1]!.pgd
        let (visits, bug) = s.pgdWalkVisits(pgd: pgd, limit: s.config.taskSize)
        #expect(bug == nil)
        #expect(visits.map(\.level) == [.pte, .pgd])
        #expect(visits[0].start == 4 * Self.page && visits[0].end == 8 * Self.page)
        let boot = s.pgdWalkVisits(pgd: pgd, limit: s.config.fixaddrTop).visits
        #expect(boot.map(\.level) == [.pte, .pte, .pte, .pgd])
    }
}

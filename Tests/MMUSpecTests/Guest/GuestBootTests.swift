import Testing
@testable import MMUSpec

@Suite("Guest boot")
struct GuestBootTests {
    @Test("boot: swapper_pg_dir pinned and loaded on every vCPU, every invariant holds", arguments: [GuestConfigs.pae(), GuestConfigs.twoLevel()])
    func boot(config: MMUConfig) throws {
        let s = GuestState(config: config)
        #expect(s.bug == nil)
        let pgd = s.swapperPgDir
        let root = s.pfnToMFN(pgd)
        #expect(root == config.machineFrames - 1 - pgd)
        #expect(s.xen.frames[root].pinned)
        #expect(s.xen.frames[root].type == .pageTable(config.levels))
        #expect(s.xen.cr3 == Array(repeating: root, count: config.vcpus))
        for c in s.cpus {
            #expect(c.xenCurrentCR3 == pgd && c.xenCR3 == pgd && c.activeMM == 0 && c.currentMM == nil)
        }
        // xen_mark_init_mm_pinned: every page of swapper's tree is PagePinned.
        #expect(s.pagePinned == Set(s.tablePages(of: pgd).keys))
        #expect(s.allViolations() == [])
    }
}

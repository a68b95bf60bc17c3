import Testing
@testable import MMUSpec

/// make_lowmem_page_readonly / readwrite, set_pte_mfn, and the pinned-tables-read-only rule.
@Suite("Guest PTE updates")
struct GuestPTEUpdatesTests {
    static func m(_ pfn: Int) -> Int { 7 - pfn }

    @Test("make-lowmem-page-readonly / readwrite rewrite the direct-map pte with update_va_mapping")
    func lowmem() {
        var s = GuestState(config: GuestConfigs.pae())
        let va = s.directMapVA(7)
        #expect(s.apply(.makeLowmemPageReadonly(cpu: 0, pfn: 7)) == .ok)
        let ok1 = HypercallResult(done: 1, error: nil)
        #expect(s.issued == [.hypercall(vcpu: 0, .updateVAMapping(va: va, val: PTE(frame: Self.m(7), flags: GuestState.pageKernelRO), flush: .none), ok1)])
        #expect(s.kernelMapping(of: 7)?.isWritable == false)
        #expect(!s.allocatablePages().contains(7))                 // held read-only: not free
        #expect(s.apply(.makeLowmemPageReadonly(cpu: 0, pfn: 7)) == .notApplicable)
        #expect(s.apply(.makeLowmemPageReadwrite(cpu: 0, pfn: 7)) == .ok)
        #expect(s.kernelMapping(of: 7) == PTE(frame: Self.m(7), flags: GuestState.pageKernel))
        // Page-table pages are not Linux's to make writable.
        #expect(s.apply(.makeLowmemPageReadwrite(cpu: 0, pfn: 0)) == .notApplicable)
        #expect(s.allViolations() == [])
    }

    @Test("Xen refuses a read-write remap of a pinned table: the seed BUGs")
    func readwriteOfPinnedTableRefused() {
        var s = GuestState(config: GuestConfigs.pae())
        s.makeLowmemPageReadwrite(cpu: 0, vaddr: s.directMapVA(0))   // swapper's pgd
        #expect(s.bug?.contains("-EBUSY") == true)
    }

    @Test("pinned-tables-read-only catches a writable mapping of a pinned table (Xen rule removed)")
    func pinnedTablesReadOnly() {
        var s = GuestState(config: GuestConfigs.pae(), xenMutations: [.allowWritableL1ToPagetable])
        #expect(s.check(.pinnedTablesReadOnly) == nil)
        s.makeLowmemPageReadwrite(cpu: 0, vaddr: s.directMapVA(2))   // swapper's kernel PTE page
        #expect(s.bug == nil)
        #expect(s.check(.pinnedTablesReadOnly)?.contains("page 2") == true)
    }

    @Test("set_pte_mfn stores into swapper's tables; a pinned PTE page is updated by the assist")
    func setPteMfn() {
        var s = GuestState(config: GuestConfigs.pae())
        // The last direct-map slot of the kernel PTE page (va 71 pages) maps pfn 7; remap it RO.
        s.setPTEMFN(cpu: 1, vaddr: 71 * MMUConfig.pageSize, mfn: Self.m(7), flags: GuestState.pageKernelRO)
        #expect(s.bug == nil)
        #expect(s.issued.last == .store(vcpu: 1, va: s.directMapVA(2), slot: 7, val: PTE(frame: Self.m(7), flags: GuestState.pageKernelRO), outcome: .emulatedL1Update, error: nil))
        #expect(s.kernelMapping(of: 7)?.isWritable == false)
    }
}

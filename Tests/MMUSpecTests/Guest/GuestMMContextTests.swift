import Testing
@testable import MMUSpec

/// Context switches, lazy CPU mode and the stale `xen_current_cr3` that drop_mm_ref looks for.
/// 2-level layout with two mms: swapper 0-2, mm 1 pgd 3 + PTE page 4, mm 2 pgd 5 + PTE page 6;
/// pfn p has mfn 7-p.
@Suite("Guest mm context")
struct GuestMMContextTests {
    static func m(_ pfn: Int) -> Int { 7 - pfn }
    static let ok1 = HypercallResult(done: 1, error: nil)

    /// cpu 1 runs mm 1; mm 2 is pinned (forked) but not running anywhere.
    static func twoRunnable(mutations: Set<GuestMutation> = []) -> GuestState {
        var s = GuestState(config: GuestConfigs.twoLevel(mms: 2, pfns: 8), mutations: mutations)
        s.run([.mmAlloc(cpu: 0, mm: 1), .pteAlloc(cpu: 0, mm: 1, va: 0), .mmAlloc(cpu: 0, mm: 2),
               .pteAlloc(cpu: 0, mm: 2, va: 0), .activateMM(cpu: 1, mm: 1), .dupMmap(cpu: 1, mm: 2)])
        return s
    }

    @Test("switch-mm staying lazy: cr3 load queued, xen_cr3 updated at once, xen_current_cr3 only when issued")
    func lazySwitch() {
        var s = Self.twoRunnable()
        #expect(s.apply(.switchMM(cpu: 1, mm: 2, stayLazy: true)) == .ok)
        #expect(s.issued.isEmpty)
        #expect(s.cpus[1].lazyMode == .cpu)
        #expect(s.cpus[1].mc.entries == [.mmuextOp([.newBaseptr(mfn: Self.m(5))])])
        #expect(s.cpus[1].mc.callbacks == [.setCurrentCR3(pfn: 5)])
        #expect(s.cpus[1].xenCR3 == 5 && s.cpus[1].xenCurrentCR3 == 3 && s.xen.cr3[1] == Self.m(3))
        #expect(s.cpus[1].activeMM == 2 && s.mms[1]?.cpuVMMask == [] && s.mms[2]?.cpuVMMask == [1])
        #expect(s.enabledOperations().filter { $0.cpu == 1 } == [.leaveLazyCPU(cpu: 1)])
        #expect(s.allViolations() == [])
        #expect(s.apply(.leaveLazyCPU(cpu: 1)) == .ok)
        #expect(s.issued == [.multicall(vcpu: 1, [.mmuextOp([.newBaseptr(mfn: Self.m(5))])], [Self.ok1])])
        #expect(s.cpus[1].xenCurrentCR3 == 5 && s.xen.cr3[1] == Self.m(5) && s.cpus[1].lazyMode == .none)
    }

    @Test("exit-mmap finds the CPU whose xen_current_cr3 is stale and flushes its switch first")
    func staleCR3() {
        var s = Self.twoRunnable()
        s.run([.switchMM(cpu: 1, mm: 2, stayLazy: true)])
        #expect(s.apply(.exitMmap(cpu: 0, mm: 1)) == .ok)
        // The IPI on cpu 1: load_cr3(swapper_pg_dir) queued behind the pending switch, then
        // arch_flush_lazy_cpu_mode issues both.
        #expect(s.issued.first == .multicall(vcpu: 1, [.mmuextOp([.newBaseptr(mfn: Self.m(5))]),
                                                      .mmuextOp([.newBaseptr(mfn: Self.m(0))])], [Self.ok1, Self.ok1]))
        #expect(s.cpus[1].xenCurrentCR3 == 0 && s.xen.cr3[1] == Self.m(0))
        #expect(s.cpus[1].lazyMode == .cpu)   // still inside its context switch
        #expect(!s.isPagePinned(3))
        #expect(s.allViolations() == [])
    }

    @Test("without drop_mm_ref the stale cr3 makes Xen refuse the unpin's read-write remaps")
    func staleCR3WithoutDrop() {
        var s = Self.twoRunnable(mutations: [.skipDropMMRef])
        s.run([.switchMM(cpu: 1, mm: 2, stayLazy: true)])
        guard case .failed = s.apply(.exitMmap(cpu: 0, mm: 1)) else { Issue.record("expected a BUG"); return }
        #expect(s.check(.noStaleCR3) != nil)
    }

    @Test("a kernel thread borrows the active mm; switching back to the same mm reloads cr3 only after leave_mm")
    func lazyTLB() {
        var s = Self.twoRunnable()
        s.run([.switchMM(cpu: 1, mm: nil, stayLazy: false)])
        #expect(s.issued.isEmpty && s.cpus[1].activeMM == 1 && s.cpus[1].tlbLazy)
        s.run([.switchMM(cpu: 1, mm: 1, stayLazy: false)])
        #expect(s.issued.isEmpty && !s.cpus[1].tlbLazy)    // same mm, still in its cpu_vm_mask
        #expect(s.apply(.switchMM(cpu: 1, mm: 2, stayLazy: false)) == .ok)
        #expect(s.issued == [.multicall(vcpu: 1, [.mmuextOp([.newBaseptr(mfn: Self.m(5))])], [Self.ok1])])
    }
}

import Testing
@testable import MMUSpec

/// exit-mmap while another CPU still borrows the mm lazily (a kernel thread runs there after
/// the process; its cr3 still names the mm's pgd). Same PAE layout as GuestProcessTests.
@Suite("Guest exit")
struct GuestExitTests {
    static func m(_ pfn: Int) -> Int { 7 - pfn }

    /// The process ran on cpu 1, which then switched to a kernel thread (lazy TLB).
    static func lazyOnCPU1(mutations: Set<GuestMutation> = []) -> GuestState {
        var s = GuestState(config: GuestConfigs.pae(), mutations: mutations)
        s.run([.mmAlloc(cpu: 0, mm: 1), .pteAlloc(cpu: 0, mm: 1, va: 0), .activateMM(cpu: 1, mm: 1),
               .setPteAt(cpu: 1, mm: 1, va: 0, pte: PTE(frame: 7, flags: GuestState.pageShared)),
               .switchMM(cpu: 1, mm: nil, stayLazy: false)])
        #expect(s.cpus[1].activeMM == 1 && s.cpus[1].currentMM == nil && s.cpus[1].tlbLazy)
        #expect(s.xen.cr3[1] == m(3) && s.cpus[1].xenCurrentCR3 == 3)
        #expect(s.mms[1]?.cpuVMMask == [1])
        return s
    }

    @Test("exit-mmap is not applicable while a task still runs with the mm")
    func notWhileRunning() {
        var s = GuestState(config: GuestConfigs.pae())
        s.run([.mmAlloc(cpu: 0, mm: 1), .activateMM(cpu: 1, mm: 1)])
        let before = s
        #expect(s.apply(.exitMmap(cpu: 0, mm: 1)) == .notApplicable)
        #expect(s == before)
    }

    @Test("drop_mm_ref switches the lazy CPU to swapper_pg_dir first, then the table is unpinned")
    func exitWithLazyOtherCPU() {
        var s = Self.lazyOnCPU1()
        #expect(s.apply(.exitMmap(cpu: 0, mm: 1)) == .ok)
        let ok1 = HypercallResult(done: 1, error: nil)
        // First the IPI on cpu 1 (drop_other_mm_ref -> leave_mm -> load_cr3(swapper_pg_dir)),
        // then cpu 0's unpin batch: root unpinned first, then the walk.
        guard s.issued.count == 2 else { Issue.record("issued \(s.issued)"); return }
        #expect(s.issued[0] == .multicall(vcpu: 1, [.mmuextOp([.newBaseptr(mfn: Self.m(0))])], [ok1]))
        guard case .multicall(0, let calls, let results) = s.issued[1] else { Issue.record("\(s.issued[1])"); return }
        #expect(calls.first == .mmuextOp([.unpin(mfn: Self.m(3))]))
        #expect(calls.contains(.mmuextOp([.unpin(mfn: Self.m(6))])))
        #expect(calls.last == .updateVAMapping(va: s.directMapVA(3), val: PTE(frame: Self.m(3), flags: GuestState.pageKernel), flush: .tlbFlush))
        #expect(results.allSatisfy { $0.succeeded })
        #expect(s.xen.cr3[1] == Self.m(0) && s.cpus[1].xenCurrentCR3 == 0 && s.cpus[1].xenCR3 == 0)
        #expect(s.mms[1]?.cpuVMMask == [] && s.mms[1]?.exited == true)
        #expect(s.pagePinned.isDisjoint(with: [3, 4, 5, 6]))
        #expect(!s.xen.frames[Self.m(3)].pinned && s.xen.frames[Self.m(3)].type == .writable)  // plain memory again
        for p in [3, 4, 5, 6] { #expect(s.kernelMapping(of: p)?.isWritable == true) }
        #expect(s.allViolations() == [])
        // The lazy CPU still holds an mm_count: the tables are freed only after it switches.
        #expect(s.apply(.mmFree(cpu: 0, mm: 1)) == .notApplicable)
        s.run([.switchMM(cpu: 1, mm: nil, stayLazy: false)])   // still borrowing mm 1
        #expect(s.apply(.mmFree(cpu: 0, mm: 1)) == .notApplicable)
    }

    @Test("without drop_mm_ref Xen refuses the read-write remap of a table still loaded on cpu 1")
    func exitWithoutDropMMRef() {
        var s = Self.lazyOnCPU1(mutations: [.skipDropMMRef])
        let r = s.apply(.exitMmap(cpu: 0, mm: 1))
        guard case .failed(let why) = r else { Issue.record("expected a failure, got \(r)"); return }
        #expect(why.contains("xen_mc_flush"))
        guard case .multicall(0, let calls, let results) = s.issued.last else { Issue.record("\(s.issued)"); return }
        #expect(results.first == HypercallResult(done: 1, error: nil))      // the root unpin itself is fine
        let refused = zip(calls, results).filter { !$0.1.succeeded }
        #expect(!refused.isEmpty)
        #expect(refused.allSatisfy { if case .updateVAMapping = $0.0 { true } else { false } })
        #expect(refused.allSatisfy { $0.1.error == .ebusy })
        // A multicall runs every entry whatever the earlier ones did: each has its own result,
        // and entries after the first refusal still ran (the PTE page's unpin succeeded).
        #expect(results.count == calls.count)
        if let firstFailure = results.firstIndex(where: { !$0.succeeded }) {
            #expect(results[(firstFailure + 1)...].contains { $0.succeeded })
        }
        #expect(s.check(.noFailedHypercall) != nil)
        #expect(s.check(.noStaleCR3) != nil)        // cpu 1's cr3 names the unpinned pgd
        #expect(s.enabledOperations().isEmpty)      // Linux is dead
    }
}

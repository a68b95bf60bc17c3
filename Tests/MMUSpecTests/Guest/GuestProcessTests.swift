import Testing
@testable import MMUSpec

/// A process's life on the PAE configuration: pfns 0-2 are swapper's pgd, kernel pmd and kernel
/// PTE page; mm-alloc takes pgd 3, user pmd 4, private kernel pmd 5; pte-alloc takes 6; pfn 7
/// is the data page. The domain builder gave pfn p the mfn 7-p.
@Suite("Guest process")
struct GuestProcessTests {
    static let page = MMUConfig.pageSize
    static func m(_ pfn: Int) -> Int { 7 - pfn }
    static let ro = GuestState.pageKernelRO
    static let rw = GuestState.pageKernel

    /// Boot, mm-alloc and pte-alloc for va 0 on cpu 0: an unpinned process table.
    static func unpinnedProcess() -> GuestState {
        var s = GuestState(config: GuestConfigs.pae())
        s.run([.mmAlloc(cpu: 0, mm: 1), .pteAlloc(cpu: 0, mm: 1, va: 0)])
        return s
    }

    @Test("mm-alloc and pte-alloc on an unpinned table are plain memory writes")
    func populateUnpinned() {
        var s = GuestState(config: GuestConfigs.pae())
        #expect(s.apply(.mmAlloc(cpu: 0, mm: 1)) == .ok)
        #expect(s.mms[1]?.pgd == 3)
        #expect(s.mms[1]?.tablePages == [3: .pgd, 4: .pmd, 5: .pmd])
        #expect(s.issued.allSatisfy { if case .store(_, _, _, _, .plainWrite?, nil) = $0 { true } else { false } })
        // The kernel half: pgd slot 1 -> the private copy (pfn 5) of swapper's kernel pmd, whose
        // entry 0 shares swapper's kernel PTE page (pfn 2).
        #expect(s.readEntry(pfn: 3, slot: 1) == PTE(frame: Self.m(5), flags: GuestState.kernpgTable))
        #expect(s.readEntry(pfn: 5, slot: 0) == s.readEntry(pfn: 1, slot: 0))
        #expect(s.readEntry(pfn: 3, slot: 0) == PTE(frame: Self.m(4), flags: GuestState.pageTable))

        #expect(s.apply(.pteAlloc(cpu: 0, mm: 1, va: 0)) == .ok)
        #expect(s.issued.allSatisfy { if case .store(_, _, _, _, .plainWrite?, nil) = $0 { true } else { false } })
        #expect(s.readEntry(pfn: 4, slot: 0) == PTE(frame: Self.m(6), flags: GuestState.pageTable))
        // set-pte-at of a non-current mm: xen_set_pte, a plain store.
        #expect(s.apply(.setPteAt(cpu: 0, mm: 1, va: Self.page, pte: PTE(frame: 7, flags: GuestState.pageShared))) == .ok)
        #expect(s.issued == [.store(vcpu: 0, va: s.directMapVA(6), slot: 1, val: PTE(frame: Self.m(7), flags: GuestState.pageShared), outcome: .plainWrite, error: nil)])
        // set-pmd clearing an entry is free_pgtables' work, after the range is unmapped: not
        // while the PTE page still maps something.
        var t = s
        #expect(t.apply(.setPmd(cpu: 1, mm: 1, va: 0, val: .none)) == .notApplicable)
        #expect(t.apply(.setPteAt(cpu: 1, mm: 1, va: Self.page, pte: .none)) == .ok)
        // On an unpinned table: a plain write, and the PTE page leaves the mm at once
        // (xen_release_pt has nothing to undo: it was never PagePinned).
        #expect(t.apply(.setPmd(cpu: 1, mm: 1, va: 0, val: .none)) == .ok)
        #expect(t.issued == [.store(vcpu: 1, va: t.directMapVA(4), slot: 0, val: .none, outcome: .plainWrite, error: nil)])
        #expect(t.readEntry(pfn: 4, slot: 0) == PTE.none)
        #expect(t.mms[1]?.tablePages[6] == nil)
        #expect(s.allViolations() == [] && t.allViolations() == [])
    }

    @Test("activate-mm pins with one multicall in the seed's order, then loads the new cr3")
    func activatePins() {
        var s = Self.unpinnedProcess()
        #expect(s.apply(.activateMM(cpu: 0, mm: 1)) == .ok)
        let va = { (p: Int) in s.directMapVA(p) }
        let pin: [Hypercall] = [
            .updateVAMapping(va: va(4), val: PTE(frame: Self.m(4), flags: Self.ro), flush: .none),  // user pmd
            .updateVAMapping(va: va(6), val: PTE(frame: Self.m(6), flags: Self.ro), flush: .none),  // PTE page
            .mmuextOp([.pin(level: 1, mfn: Self.m(6))]),
            .updateVAMapping(va: va(5), val: PTE(frame: Self.m(5), flags: Self.ro), flush: .none),  // kernel pmd copy
            .updateVAMapping(va: va(3), val: PTE(frame: Self.m(3), flags: Self.ro), flush: .tlbFlush), // pgd
            .mmuextOp([.pin(level: 3, mfn: Self.m(3))]),
        ]
        let ok1 = HypercallResult(done: 1, error: nil)
        #expect(s.issued == [
            .multicall(vcpu: 0, pin, Array(repeating: ok1, count: pin.count)),
            .multicall(vcpu: 0, [.mmuextOp([.newBaseptr(mfn: Self.m(3))])], [ok1]),
        ])
        #expect(s.pagePinned.isSuperset(of: [3, 4, 5, 6]))
        #expect(s.xen.frames[Self.m(3)].pinned && s.xen.frames[Self.m(6)].pinned)
        #expect(!s.xen.frames[Self.m(4)].pinned)   // pmds are not pinned on their own
        #expect(s.xen.cr3[0] == Self.m(3))
        #expect(s.cpus[0].xenCurrentCR3 == 3 && s.cpus[0].activeMM == 1 && s.cpus[0].currentMM == 1)
        #expect(s.mms[1]?.cpuVMMask == [0])
        #expect(s.cpus[0].heldPTELocks.isEmpty)   // do_unlock ran after the batch
        #expect(s.allViolations() == [])
    }

    @Test("set-pte-at on the current pinned mm is an update_va_mapping hypercall")
    func setPteAtPinned() {
        var s = Self.unpinnedProcess()
        s.run([.activateMM(cpu: 0, mm: 1)])
        let data = PTE(frame: 7, flags: GuestState.pageShared)
        #expect(s.apply(.setPteAt(cpu: 0, mm: 1, va: 0, pte: data)) == .ok)
        let machine = PTE(frame: Self.m(7), flags: GuestState.pageShared)
        #expect(s.issued == [.hypercall(vcpu: 0, .updateVAMapping(va: 0, val: machine, flush: .none), HypercallResult(done: 1, error: nil))])
        #expect(s.readEntry(pfn: 6, slot: 0) == machine)
        #expect(s.xen.frames[Self.m(7)].type == .writable && s.xen.typeCount(Self.m(7)) == 2)  // direct map + user
        // From cpu 1 (not current there): xen_set_pte, a store Xen emulates (pinned L1, mapped RO).
        #expect(s.apply(.setPteAt(cpu: 1, mm: 1, va: Self.page, pte: data)) == .ok)
        #expect(s.issued == [.store(vcpu: 1, va: s.directMapVA(6), slot: 1, val: machine, outcome: .emulatedL1Update, error: nil)])
        #expect(s.allViolations() == [])
    }

    @Test("set-pte-at falls back to xen_set_pte when update_va_mapping fails (not a BUG)")
    func setPteAtFallback() {
        var s = Self.unpinnedProcess()
        s.run([.activateMM(cpu: 0, mm: 1)])
        // Make cpu 0's cr3 swapper_pg_dir behind Linux's back: user addresses are unmapped there.
        #expect(s.xen.hypercall(.mmuextOp([.newBaseptr(mfn: Self.m(0))]), vcpu: 0).succeeded)
        let machine = PTE(frame: Self.m(7), flags: GuestState.pageShared)
        #expect(s.apply(.setPteAt(cpu: 0, mm: 1, va: 0, pte: PTE(frame: 7, flags: GuestState.pageShared))) == .ok)
        #expect(s.issued == [
            .hypercall(vcpu: 0, .updateVAMapping(va: 0, val: machine, flush: .none), HypercallResult(done: 0, error: .einval)),
            .store(vcpu: 0, va: s.directMapVA(6), slot: 0, val: machine, outcome: .emulatedL1Update, error: nil),
        ])
        #expect(s.readEntry(pfn: 6, slot: 0) == machine)
    }

    @Test("in lazy MMU mode set-pte-at is queued and issued as one multicall; preserve-AD updates merge into one mmu_update")
    func lazyBatching() {
        var s = Self.unpinnedProcess()
        s.run([.activateMM(cpu: 0, mm: 1), .enterLazyMMU(cpu: 0)])
        let a = PTE(frame: 7, flags: GuestState.pageShared), b = PTE(frame: 7, flags: GuestState.pageReadonly)
        s.run([.setPteAt(cpu: 0, mm: 1, va: 0, pte: a), .setPteAt(cpu: 0, mm: 1, va: Self.page, pte: b)])
        #expect(s.issued.isEmpty)                       // nothing reached Xen yet
        #expect(s.cpus[0].mc.entries.count == 2)
        #expect(s.readEntry(pfn: 6, slot: 0) == PTE.none)
        // Another CPU cannot touch the locked PTE page meanwhile.
        #expect(s.apply(.setPteAt(cpu: 1, mm: 1, va: 2 * Self.page, pte: a)) == .notApplicable)
        #expect(s.apply(.leaveLazyMMU(cpu: 0)) == .ok)
        let ma = PTE(frame: Self.m(7), flags: a.flags), mb = PTE(frame: Self.m(7), flags: b.flags)
        let ok1 = HypercallResult(done: 1, error: nil)
        #expect(s.issued == [.multicall(vcpu: 0, [.updateVAMapping(va: 0, val: ma, flush: .none),
                                                    .updateVAMapping(va: Self.page, val: mb, flush: .none)], [ok1, ok1])])
        #expect(s.readEntry(pfn: 6, slot: 0) == ma && s.readEntry(pfn: 6, slot: 1) == mb)

        // mprotect in lazy mode: two ptep_modify_prot_commit merge into one mmu_update (extend_mmu_update).
        s.run([.enterLazyMMU(cpu: 0),
               .ptepModifyProtCommit(cpu: 0, mm: 1, va: 0, pte: b),
               .ptepModifyProtCommit(cpu: 0, mm: 1, va: Self.page, pte: a)])
        let ptr0 = EntryRef(mfn: Self.m(6), slot: 0), ptr1 = EntryRef(mfn: Self.m(6), slot: 1)
        #expect(s.cpus[0].mc.entries == [.mmuUpdate([.preserveAD(ptr: ptr0, val: mb), .preserveAD(ptr: ptr1, val: ma)])])
        #expect(s.apply(.leaveLazyMMU(cpu: 0)) == .ok)
        #expect(s.issued == [.multicall(vcpu: 0, [.mmuUpdate([.preserveAD(ptr: ptr0, val: mb), .preserveAD(ptr: ptr1, val: ma)])],
                                        [HypercallResult(done: 2, error: nil)])])
        // PRESERVE_AD kept the old Accessed bit (both values have it) and changed RW.
        #expect(s.readEntry(pfn: 6, slot: 0) == mb && s.readEntry(pfn: 6, slot: 1) == ma)
        #expect(s.allViolations() == [])
    }

    @Test("set-pmd on a pinned table is an mmu_update; the freed PTE page is released at once and reused")
    func setPmdPinned() {
        var s = Self.unpinnedProcess()
        s.run([.activateMM(cpu: 0, mm: 1)])
        let ok1 = HypercallResult(done: 1, error: nil)
        #expect(s.apply(.setPmd(cpu: 0, mm: 1, va: 0, val: .none)) == .ok)
        // free_pte_range: pmd_clear (the mmu_update), then pte_free_tlb -> xen_release_pt:
        // unpin the L1, remap it read-write, clear PagePinned; the page is free again.
        #expect(s.issued == [
            .multicall(vcpu: 0, [.mmuUpdate([.normal(ptr: EntryRef(mfn: Self.m(4), slot: 0), val: .none)])], [ok1]),
            .hypercall(vcpu: 0, .mmuextOp([.unpin(mfn: Self.m(6))]), ok1),
            .hypercall(vcpu: 0, .updateVAMapping(va: s.directMapVA(6), val: PTE(frame: Self.m(6), flags: GuestState.pageKernel), flush: .none), ok1),
        ])
        #expect(s.readEntry(pfn: 4, slot: 0) == PTE.none)
        #expect(!s.xen.frames[Self.m(6)].pinned && !s.pagePinned.contains(6) && s.mms[1]?.tablePages[6] == nil)
        #expect(s.allViolations() == [])
        // A new PTE page for a pinned mm (the freed pfn 6, lowest free) goes through
        // xen_alloc_pt: cleared with plain stores while still RW, made RO, pinned as L1, then
        // the pmd update.
        #expect(s.apply(.pteAlloc(cpu: 0, mm: 1, va: 0)) == .ok)
        let stores = s.issued.prefix(8)
        #expect(stores.allSatisfy { if case .store(0, _, _, .none, .plainWrite?, nil) = $0 { true } else { false } })
        #expect(Array(s.issued.dropFirst(8)) == [
            .hypercall(vcpu: 0, .updateVAMapping(va: s.directMapVA(6), val: PTE(frame: Self.m(6), flags: Self.ro), flush: .none), ok1),
            .hypercall(vcpu: 0, .mmuextOp([.pin(level: 1, mfn: Self.m(6))]), ok1),
            .multicall(vcpu: 0, [.mmuUpdate([.normal(ptr: EntryRef(mfn: Self.m(4), slot: 0), val: PTE(frame: Self.m(6), flags: GuestState.pageTable))])], [ok1]),
        ])
        #expect(s.mms[1]?.tablePages[6] == .pte && s.pagePinned.contains(6))
        #expect(s.allViolations() == [])
        // Page 7 is still free: the old PTE page was reused, not leaked.
        #expect(s.allocatablePages() == [7])
    }

    @Test("a plain store to a pinned pmd page faults: the seed must use the hypercall")
    func plainStoreToPinnedPmdFaults() {
        var s = Self.unpinnedProcess()
        s.run([.activateMM(cpu: 0, mm: 1)])
        let r = s.xen.guestStore(vcpu: 0, va: s.directMapVA(4), slot: 1, val: .none)
        #expect(r == .failure(.efault))
    }
}

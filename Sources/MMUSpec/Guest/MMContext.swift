/// mm structs and switching between them (seed: `xen_activate_mm`, `xen_dup_mmap`,
/// `xen_exit_mmap`, `drop_mm_ref`, `drop_other_mm_ref`; from the rest of Linux 2.6.26 x86_32:
/// `switch_mm`, `enter_lazy_tlb`, `leave_mm`, `load_cr3` = `xen_write_cr3`, `pgd_alloc`,
/// `__pte_alloc` with Xen's `xen_alloc_pt` hook, `pte_free` / `pgd_free` with `xen_release_pt`
/// / `xen_release_pd`).

extension GuestState {
    // MARK: - cr3 and switch_mm

    /// `load_cr3(pgd)` = `xen_write_cr3(__pa(pgd))`: `xen_mc_entry`; `xen_cr3 = cr3`; queue
    /// `MMUEXT_NEW_BASEPTR(pfn_to_mfn(pfn))`; queue the `set_current_cr3` callback (so
    /// `xen_current_cr3` changes only once Xen really has the new root);
    /// `xen_mc_issue(PARAVIRT_LAZY_CPU)` (batched during a context switch).
    mutating func loadCR3(cpu: Int, pgd: Int) {
        xenMCEntry(cpu: cpu, .mmuextOp([.newBaseptr(mfn: pfnToMFN(pgd))]))
        cpus[cpu].xenCR3 = pgd
        xenMCCallback(cpu: cpu, .setCurrentCR3(pfn: pgd))
        xenMCIssue(cpu: cpu, mode: .cpu)
    }

    /// `switch_mm(prev, next)` on `cpu` (x86_32 SMP): a different mm leaves prev's
    /// `cpu_vm_mask`, becomes the active mm (TLBSTATE_OK) and is loaded; the same mm only
    /// reloads cr3 if `leave_mm` had taken the CPU out of its mask (lazy TLB).
    mutating func switchMM(cpu: Int, prev: Int, next: Int) {
        guard mms.indices.contains(next), let nextMM = mms[next] else { return }
        if prev != next {
            if mms.indices.contains(prev) { mms[prev]?.cpuVMMask.remove(cpu) }
            cpus[cpu].tlbLazy = false
            cpus[cpu].activeMM = next
            mms[next]?.cpuVMMask.insert(cpu)
            loadCR3(cpu: cpu, pgd: nextMM.pgd)
        } else {
            cpus[cpu].tlbLazy = false
            if !nextMM.cpuVMMask.contains(cpu) {
                mms[next]?.cpuVMMask.insert(cpu)
                loadCR3(cpu: cpu, pgd: nextMM.pgd)
            }
        }
    }

    /// `enter_lazy_tlb(mm)`: a kernel thread borrows the active mm (TLBSTATE_LAZY).
    mutating func enterLazyTLB(cpu: Int) { cpus[cpu].tlbLazy = true }

    /// `leave_mm(cpu)`: `BUG()` if TLBSTATE_OK; leave the active mm's `cpu_vm_mask`;
    /// `load_cr3(swapper_pg_dir)`. (The active mm stays: the CPU still holds an mm_count.)
    mutating func leaveMM(cpu: Int) {
        if !cpus[cpu].tlbLazy {
            BUG("leave_mm(\(cpu)): cpu_tlbstate is TLBSTATE_OK")
            return
        }
        let active = cpus[cpu].activeMM
        if mms.indices.contains(active) { mms[active]?.cpuVMMask.remove(cpu) }
        loadCR3(cpu: cpu, pgd: swapperPgDir)
    }

    // MARK: - exit

    /// `drop_other_mm_ref(mm)`, run on `cpu` by IPI: leave the mm if it is this CPU's active
    /// mm; if `xen_current_cr3` still names its pgd (a batched switch not yet issued), load
    /// swapper_pg_dir and flush the lazy CPU batch (the second half came with Linux commit
    /// 9f79991d; the `skip-current-cr3-scan` mutation leaves it out).
    mutating func dropOtherMMRef(cpu: Int, mm: Int) {
        guard let pgd = mms[mm]?.pgd else { return }
        if cpus[cpu].activeMM == mm { leaveMM(cpu: cpu) }
        if mutations.contains(.skipCurrentCR3Scan) { return }
        if cpus[cpu].xenCurrentCR3 == pgd {
            loadCR3(cpu: cpu, pgd: swapperPgDir)
            archFlushLazyCPUMode(cpu: cpu)
        }
    }

    /// `drop_mm_ref(mm)` (SMP) on `cpu`: switch this CPU off the mm (`load_cr3(swapper_pg_dir)`
    /// if the mm is its current mm, else `leave_mm`, then `arch_flush_lazy_cpu_mode`); then
    /// send `drop_other_mm_ref` (`smp_call_function_mask`, waiting; the caller excluded) to every
    /// CPU in `cpu_vm_mask` or whose `xen_current_cr3` names the pgd. The calls are state
    /// (`CrossCall.swift`): the caller waits until each target has run the handler. Returns
    /// whether the caller now waits.
    mutating func dropMMRef(cpu: Int, mm: Int) -> Bool {
        guard let m = mms[mm] else { return false }
        let scan = !mutations.contains(.skipCurrentCR3Scan)
        if cpus[cpu].activeMM == mm {
            if cpus[cpu].currentMM == mm { loadCR3(cpu: cpu, pgd: swapperPgDir) } else { leaveMM(cpu: cpu) }
            if scan { archFlushLazyCPUMode(cpu: cpu) }
        }
        // This CPU's own cr3 load completes first (program order: `xen_mc_issue` returns
        // before the scan reads `xen_current_cr3`).
        drainInFlight(cpu: cpu)
        var mask = mms[mm]?.cpuVMMask ?? []
        if scan { for c in cpus.indices where cpus[c].xenCurrentCR3 == m.pgd { mask.insert(c) } }
        let targets = mask.sorted().filter { $0 != cpu && cpus.indices.contains($0) }
        guard !targets.isEmpty else { return false }
        sendDropOtherMMRef(from: cpu, to: targets, mm: mm)
        return true
    }

    /// `xen_exit_mmap(mm)`: `drop_mm_ref(mm)`; then, under the page-table lock, unpin the pgd if
    /// it is pinned (it may not be, in execve's error path). When `drop_mm_ref` waits for other
    /// CPUs, the unpin is the continuation `exit-mmap-unpin` (`xenExitMmapUnpin`).
    mutating func xenExitMmap(cpu: Int, mm: Int) {
        let waits = mutations.contains(.skipDropMMRef) ? false : dropMMRef(cpu: cpu, mm: mm)
        if waits {
            cpus[cpu].resume = .exitMmapUnpin(mm: mm)
            return
        }
        xenExitMmapUnpin(cpu: cpu, mm: mm)
    }

    /// The rest of `xen_exit_mmap` after `drop_mm_ref`: `spin_lock(&mm->page_table_lock)`;
    /// unpin if pinned; `spin_unlock`.
    mutating func xenExitMmapUnpin(cpu: Int, mm: Int) {
        guard let pgd = mms[mm]?.pgd else { return }
        if isPagePinned(pgd) { xenPgdUnpin(cpu: cpu, pgd: pgd) }
        holdMMLockUntilIssued(cpu: cpu, mm: mm)
    }

    /// `xen_activate_mm(prev, next)`: pin next's pgd (under its page-table lock).
    mutating func xenActivateMM(cpu: Int, next: Int) {
        guard let pgd = mms[next]?.pgd else { return }
        xenPgdPin(cpu: cpu, pgd: pgd)
        holdMMLockUntilIssued(cpu: cpu, mm: next)
    }

    /// `xen_dup_mmap(oldmm, mm)`: pin the new mm's pgd (oldmm is not used).
    mutating func xenDupMmap(cpu: Int, mm: Int) {
        guard let pgd = mms[mm]?.pgd else { return }
        xenPgdPin(cpu: cpu, pgd: pgd)
        holdMMLockUntilIssued(cpu: cpu, mm: mm)
    }

    // MARK: - The page allocator (for page-table pages)

    /// Every page that is a page-table page of some mm (init_mm's included).
    public func tablePageOwners() -> [Int: Int] {
        var out: [Int: Int] = [:]
        for (i, mm) in mms.enumerated() { for p in (mm?.tablePages.keys).map(Array.init) ?? [] { out[p] = i } }
        return out
    }

    /// Pages some process maps (present PTEs of its PTE pages), or some CPU's queued or
    /// in-flight batch names.
    func pagesInUse() -> Set<Int> {
        var used = Set<Int>()
        for case let mm? in mms.dropFirst() {
            for (p, level) in mm.tablePages where level == .pte {
                for slot in 0..<ptrsPerTable {
                    if let e = readEntry(pfn: p, slot: slot), e.isPresent { used.insert(mfnToPFN(e.frame)) }
                }
            }
        }
        for c in cpus {
            for call in c.pendingCalls {
                switch call {
                case .updateVAMapping(_, let val, _): if val.isPresent { used.insert(mfnToPFN(val.frame)) }
                case .mmuUpdate(let rs):
                    for r in rs {
                        switch r {
                        case .normal(_, let v), .preserveAD(_, let v): if v.isPresent { used.insert(mfnToPFN(v.frame)) }
                        case .machphys: break
                        }
                    }
                case .mmuextOp: break
                }
            }
        }
        return used
    }

    /// The pages the allocator may hand out for a page table, lowest first: a machine frame
    /// behind it (p2m valid), not a page-table page, not mapped by any process, mapped
    /// read-write in the kernel's direct map (not held read-only by someone), not PagePinned.
    public func allocatablePages() -> [Int] {
        let owners = tablePageOwners()
        let used = pagesInUse()
        return (0..<config.pfns).filter { p in
            pfnToMFN(p) != P2M.invalidEntry && owners[p] == nil && !used.contains(p) && !pagePinned.contains(p)
                && (kernelMapping(of: p)?.isWritable ?? false)
        }
    }

    /// The data page user PTEs may map (the explorer's choice): the highest pfn that is not a
    /// page-table page and has a machine frame. Nil if none.
    public func dataPage() -> Int? {
        let owners = tablePageOwners()
        return (0..<config.pfns).reversed().first { p in owners[p] == nil && pfnToMFN(p) != P2M.invalidEntry }
    }

    /// Take page `pfn` for a level-`level` table: clear it with plain stores (`clear_page`).
    mutating func takeZeroedPage(cpu: Int, _ pfn: Int) {
        for slot in 0..<ptrsPerTable {
            if case .failure(let e) = plainStore(cpu: cpu, pfn: pfn, slot: slot, .none) {
                BUG("clearing new page-table page \(pfn) on cpu \(cpu) faulted (\(e))")
                return
            }
        }
    }

    // MARK: - pgd_alloc / pgd_free

    /// Pages `pgd_alloc` takes: the pgd; with 3+ levels the upper tables of user space
    /// (PAE's `pgd_prepopulate_pmd` allocates a pmd for every user pgd entry; with 4 levels a
    /// pud and its pmds) and a private copy of every kernel upper table below FIXADDR_TOP
    /// (Xen PAE has `SHARED_KERNEL_PMD == 0`: each pgd gets its own kernel pmds, whose
    /// entries share the kernel's PTE pages).
    func pgdAllocPageCount() -> Int {
        let levels = config.levels
        guard levels >= 3 else { return 1 }
        let userSlots = config.taskSize / max(1, pgdirSize)
        var perSlot = 0
        var width = 1
        for _ in stride(from: levels - 1, through: 2, by: -1) { perSlot += width; width *= ptrsPerTable }
        var kernel = 0
        let counts = bootTablesPerLevel()
        for level in 2..<levels { kernel += counts[level] ?? 0 }
        return 1 + userSlots * perSlot + kernel
    }

    /// The number of swapper_pg_dir tables at each level below the pgd.
    func bootTablesPerLevel() -> [Int: Int] {
        var needed: [Int: Set<Int>] = [:]
        for p in 0..<max(0, config.pfns) {
            let va = directMapVA(p)
            for level in 1..<max(1, config.levels) { needed[level, default: []].insert(va / span(level + 1)) }
        }
        return needed.mapValues(\.count)
    }

    /// `pgd_alloc(mm)`: allocate and clear the pgd, copy the kernel part of `swapper_pg_dir`
    /// (`clone_pgd_range`; with 3+ levels into private copies of the kernel's upper tables),
    /// prepopulate user space's upper tables (3+ levels). All plain stores: the new pages are
    /// not pinned. Returns the pgd and the pages taken, or nil when memory is short (nothing
    /// changed then).
    mutating func pgdAlloc(cpu: Int) -> (pgd: Int, pages: [Int: PTLevel])? {
        var free = allocatablePages()
        guard free.count >= pgdAllocPageCount() else { return nil }
        var pages: [Int: PTLevel] = [:]
        func alloc(_ s: inout GuestState, _ level: Int) -> Int {
            let p = free.removeFirst()
            pages[p] = s.ptLevel(level)
            s.takeZeroedPage(cpu: cpu, p)
            return p
        }
        func store(_ s: inout GuestState, _ table: Int, _ slot: Int, _ e: PTE) {
            if case .failure(let err) = s.plainStore(cpu: cpu, pfn: table, slot: slot, e) {
                s.BUG("pgd_alloc: store into new table page \(table) faulted (\(err))")
            }
        }
        func allocUser(_ s: inout GuestState, _ level: Int) -> Int {
            let t = alloc(&s, level)
            if level > 2 {
                for slot in 0..<s.ptrsPerTable {
                    let c = allocUser(&s, level - 1)
                    store(&s, t, slot, s.ptePfnToMFN(PTE(frame: c, flags: GuestState.pageTable)))
                }
            }
            return t
        }
        func copyKernel(_ s: inout GuestState, _ src: Int, _ level: Int) -> Int {
            let t = alloc(&s, level)
            for slot in 0..<s.ptrsPerTable {
                guard let e = s.readEntry(pfn: src, slot: slot), e.isPresent else { continue }
                if level == 2 {
                    store(&s, t, slot, e)
                } else {
                    let c = copyKernel(&s, s.mfnToPFN(e.frame), level - 1)
                    store(&s, t, slot, s.ptePfnToMFN(PTE(frame: c, flags: e.flags)))
                }
            }
            return t
        }
        let levels = config.levels
        let pgd = alloc(&self, levels)
        for slot in 0..<ptrsPerTable {
            let start = slot * pgdirSize
            if start < config.taskSize {
                guard levels >= 3 else { continue }
                let c = allocUser(&self, levels - 1)
                store(&self, pgd, slot, ptePfnToMFN(PTE(frame: c, flags: GuestState.pageTable)))
            } else {
                guard start < config.fixaddrTop,
                      let e = readEntry(pfn: swapperPgDir, slot: slot), e.isPresent else { continue }
                if levels == 2 {
                    store(&self, pgd, slot, e)
                } else {
                    let c = copyKernel(&self, mfnToPFN(e.frame), levels - 1)
                    store(&self, pgd, slot, ptePfnToMFN(PTE(frame: c, flags: e.flags)))
                }
            }
        }
        return (pgd, pages)
    }

    /// `pin_pagetable_pfn(cmd, pfn)`: a direct `mmuext_op`; `BUG()` if Xen refuses.
    mutating func pinPagetablePfn(cpu: Int, _ cmd: PinCommand, pfn: Int) {
        let mfn = pfnToMFN(pfn)
        let op: MMUExtOp
        switch cmd {
        case .pin(let level): op = .pin(level: level, mfn: mfn)
        case .unpin: op = .unpin(mfn: mfn)
        }
        if let e = directHypercall(cpu: cpu, .mmuextOp([op])).error {
            BUG("pin_pagetable_pfn(\(cmd), pfn \(pfn)): mmuext_op failed with \(e)")
        }
    }

    /// `xen_alloc_pt(mm, pfn)` (`xen_alloc_ptpage(mm, pfn, PT_PTE)`): a PTE page attached to a
    /// pinned pgd must be pinned too: SetPagePinned, make it read-only, pin it as L1.
    mutating func xenAllocPT(cpu: Int, mm: Int, pfn: Int) {
        guard let pgd = mms[mm]?.pgd, isPagePinned(pgd) else { return }
        pagePinned.insert(pfn)
        makeLowmemPageReadonly(cpu: cpu, vaddr: directMapVA(pfn))
        pinPagetablePfn(cpu: cpu, .pin(level: 1), pfn: pfn)
    }

    /// `xen_release_pt(pfn)` / `xen_release_pd(pfn)` (`xen_release_ptpage`): a PagePinned page
    /// leaving a table is unpinned (PTE pages only: upper tables were never pinned on their
    /// own), made read-write again and loses PagePinned.
    mutating func xenReleasePTPage(cpu: Int, pfn: Int, level: PTLevel) {
        guard isPagePinned(pfn) else { return }
        if level == .pte { pinPagetablePfn(cpu: cpu, .unpin, pfn: pfn) }
        makeLowmemPageReadwrite(cpu: cpu, vaddr: directMapVA(pfn))
        pagePinned.remove(pfn)
    }

    /// `__pte_alloc(mm, pmd, address)`: allocate and clear a PTE page (`pte_alloc_one`), then
    /// `pmd_populate`: `paravirt_alloc_pt` (`xen_alloc_pt`) and
    /// `set_pmd(pmd, __pmd(pfn << PAGE_SHIFT | _PAGE_TABLE))` (`xen_set_pmd` of `xen_make_pmd`).
    mutating func pteAlloc(cpu: Int, mm: Int, pmd: EntryPointer) -> Int? {
        guard let pfn = allocatablePages().first else { return nil }
        takeZeroedPage(cpu: cpu, pfn)
        mms[mm]?.tablePages[pfn] = .pte
        xenAllocPT(cpu: cpu, mm: mm, pfn: pfn)
        xenSetPMD(cpu: cpu, pmd, ptePfnToMFN(PTE(frame: pfn, flags: GuestState.pageTable)))
        return pfn
    }

    /// Freeing a torn-down mm (`free_pgtables` after `exit_mmap`, then `pgd_free` at the last
    /// `mmdrop`): every PTE page goes through `pte_free` (`xen_release_pt`), every upper table
    /// through `pmd_free` (`xen_release_pd`), then the pgd is freed. No stores: the pages
    /// simply return to the allocator.
    mutating func freeMMTables(cpu: Int, mm: Int) {
        guard let m = mms[mm] else { return }
        let order: [PTLevel] = [.pte, .pmd, .pud]
        for level in order {
            for pfn in m.tablePages.filter({ $0.value == level }).keys.sorted() {
                xenReleasePTPage(cpu: cpu, pfn: pfn, level: level)
            }
        }
        mms[mm] = nil
    }
}

/// The invariants over a guest state: the hypervisor's (delegated to `XenState.check`) and the
/// guest's own (`p2m-roundtrip`, `walk-limit`, `no-failed-hypercall`,
/// `pinned-tables-read-only`, `no-stale-cr3`, `page-pinned-agrees`).

extension GuestState {
    /// Check one invariant: nil = holds, else a sentence naming what broke.
    public func check(_ invariant: Invariant) -> String? {
        switch invariant {
        case .noWritablePagetable, .noPagetableFromWritable, .validatedEntries, .countsMatch:
            return xen.check(invariant)
        case .p2mRoundtrip: return checkP2MRoundtrip()
        case .walkLimit: return checkWalkLimit()
        case .noFailedHypercall: return bug
        case .pinnedTablesReadOnly: return checkPinnedTablesReadOnly()
        case .noStaleCR3: return checkNoStaleCR3()
        case .pagePinnedAgrees: return checkPagePinnedAgrees()
        }
    }

    /// Every invariant that fails, with its sentence (empty = all hold).
    public func violations() -> [(Invariant, String)] {
        Invariant.guestLevel.compactMap { inv in check(inv).map { (inv, $0) } }
    }

    /// The pgds the guest has: swapper_pg_dir and every process mm's, in mm order.
    public func pgds() -> [(mm: Int, pgd: Int)] {
        mms.enumerated().compactMap { i, mm in mm.map { (i, $0.pgd) } }
    }

    /// `p2m-roundtrip`: for every pfn with a valid mfn, `m2p[p2m[pfn]] == pfn`; on every
    /// present entry of every page of the guest's tables, `pte_pfn_to_mfn(pte_mfn_to_pfn(e)) == e`
    /// (the conversions are inverse where Linux reads its tables back); and every non-present
    /// entry is zero or the swap entry as the guest wrote it (the conversions leave
    /// non-present entries alone: `pte_pfn_to_mfn`'s `_PAGE_PRESENT` test).
    func checkP2MRoundtrip() -> String? {
        for pfn in 0..<p2m.maxDomainPages {
            let mfn = p2m.getPhysToMachine(pfn)
            guard mfn != P2M.invalidEntry else { continue }
            let back = mfnToPFN(mfn)
            if back != pfn {
                return "p2m[\(pfn)] = \(mfn) but m2p[\(mfn)] = \(back == P2M.invalidEntry ? "INVALID" : String(back))"
            }
        }
        var pages: [Int: PTLevel] = [:]
        for (_, pgd) in pgds() { pages.merge(tablePages(of: pgd)) { a, _ in a } }
        for (pfn, level) in pages.sorted(by: { $0.key < $1.key }) {
            for slot in 0..<ptrsPerTable {
                guard let e = readEntry(pfn: pfn, slot: slot) else { continue }
                guard e.isPresent else {
                    // Non-present entries are stored as the guest wrote them: zero or the swap entry.
                    if e != .none && e != swapEntry {
                        return "entry \(slot) of \(level.rawValue) page \(pfn) = \(e) is not present but is neither zero nor the swap entry \(swapEntry) the guest wrote: a non-present entry was translated"
                    }
                    continue
                }
                let back = ptePfnToMFN(pteMFNToPfn(e))
                if back != e {
                    return "entry \(slot) of \(level.rawValue) page \(pfn) = \(e) converts back to \(back) (pte_mfn_to_pfn then pte_pfn_to_mfn)"
                }
            }
        }
        return nil
    }

    /// `walk-limit`: no pinning walk passed a limit above FIXADDR_TOP or visited a PTE page not
    /// wholly below its limit (recorded when it happened); and, in the state, every frame Xen
    /// has pinned as an L1 is mapped by the guest's pgds only below TASK_SIZE (the guest never
    /// pins PTE pages of kernel or Xen space).
    func checkWalkLimit() -> String? {
        if let walkLimitViolation { return walkLimitViolation }
        for w in walks {
            if w.limit > config.fixaddrTop { return "a pgd_walk of pgd \(w.pgd) ran with limit \(w.limit) > FIXADDR_TOP \(config.fixaddrTop)" }
            for v in w.visits where v.level == .pte && v.end > w.limit {
                return "a pgd_walk of pgd \(w.pgd) with limit \(w.limit) visited PTE page \(v.pfn) covering [\(v.start), \(v.end))"
            }
        }
        for (_, pgd) in pgds() {
            var bad: String?
            forEachLevel2Entry(pgd: pgd) { start, e in
                guard bad == nil else { return }
                let m = e.frame
                guard xen.isFrame(m), xen.frames[m].pinned, xen.frames[m].type == .l1 else { return }
                if start + span(2) > config.taskSize {
                    bad = "frame \(m) is pinned as L1 but pgd \(pgd) uses it as the PTE page of [\(start), \(start + span(2))), not below TASK_SIZE \(config.taskSize)"
                }
            }
            if let bad { return bad }
        }
        return nil
    }

    /// Calls `body(start, entry)` for every present level-2 entry (pointing at a PTE page) of
    /// the tree rooted at `pgd`, with the first address the entry maps.
    func forEachLevel2Entry(pgd: Int, _ body: (Int, PTE) -> Void) {
        func go(_ table: Int, _ level: Int, _ base: Int) {
            for slot in 0..<ptrsPerTable {
                guard let e = readEntry(pfn: table, slot: slot), e.isPresent else { continue }
                let start = base + slot * span(level)
                if level == 2 { body(start, e); continue }
                let child = mfnToPFN(e.frame)
                guard (0..<config.pfns).contains(child), child != table else { continue }
                go(child, level - 1, start)
            }
        }
        if config.levels >= 2 { go(pgd, config.levels, 0) }
    }

    /// `pinned-tables-read-only`: every page of every PagePinned pgd's table (all levels) is
    /// mapped read-only in the kernel's direct map (effective RW, the AND over the walk of
    /// `swapper_pg_dir`), once no CPU is inside an operation on that mm (PagePinned is set
    /// before the read-only remaps of the same batch run, as in the seed: the page-table lock
    /// held until the batch completes keeps the window private).
    func checkPinnedTablesReadOnly() -> String? {
        let pending = pagesWithPendingCalls()
        for (mm, pgd) in pgds() where isPagePinned(pgd) {
            for (pfn, level) in tablePages(of: pgd).sorted(by: { $0.key < $1.key }) where !pending.contains(pfn) {
                if let why = kernelMapsWritable(pfn) {
                    return "page \(pfn) (\(level.rawValue) of the pinned pgd \(pgd) of mm \(mm)) \(why)"
                }
            }
        }
        return nil
    }

    /// nil if the kernel direct map of `pfn` is read-only (or absent), else a phrase.
    func kernelMapsWritable(_ pfn: Int) -> String? {
        var table = swapperPgDir
        var rw = true
        let va = directMapVA(pfn)
        for level in stride(from: config.levels, through: 1, by: -1) {
            guard let e = readEntry(pfn: table, slot: index(va: va, level: level)), e.isPresent else { return nil }
            rw = rw && e.isWritable
            if level == 1 { return rw ? "is mapped read-write at 0x\(String(va, radix: 16))" : nil }
            let child = mfnToPFN(e.frame)
            guard (0..<config.pfns).contains(child) else { return nil }
            table = child
        }
        return nil
    }

    /// `no-stale-cr3`: no vCPU's cr3 (in Xen), no CPU's `xen_current_cr3` and no cr3 load still
    /// queued or in flight (`MMUEXT_NEW_BASEPTR`) names a table the guest has not pinned
    /// (PagePinned and, once loaded, pinned in Xen): Linux unpins and reuses a table only after
    /// every CPU has been switched off it. A pgd with a call pending counts as pinned by the
    /// guest (its batch orders the cr3 load before the unpin). And a CPU with no cr3 load
    /// pending and not inside a context switch has loaded what Linux thinks it has
    /// (`xen_cr3 == xen_current_cr3`, Xen's cr3 is its frame): its active mm's pgd, or
    /// swapper_pg_dir while it borrows the mm lazily (`leave_mm`).
    func checkNoStaleCR3() -> String? {
        let pending = pagesWithPendingCalls()
        func guestPinned(_ pfn: Int) -> Bool { isPagePinned(pfn) || pending.contains(pfn) }
        for (v, root) in xen.cr3.enumerated() {
            guard let root else { continue }
            let pfn = mfnToPFN(root)
            if !guestPinned(pfn) || !(xen.isFrame(root) && xen.frames[root].pinned) {
                return "vCPU \(v)'s cr3 is frame \(root) (pfn \(pfn)), which is not a pinned table"
            }
        }
        for (c, cpu) in cpus.enumerated() {
            let pfn = cpu.xenCurrentCR3
            let mfn = pfnToMFN(pfn)
            if !guestPinned(pfn) || !(xen.isFrame(mfn) && xen.frames[mfn].pinned) {
                return "cpu \(c)'s xen_current_cr3 is pfn \(pfn), which is not a pinned table"
            }
            var loads: [Int] = []
            for call in cpu.pendingCalls {
                if case .mmuextOp(let ops) = call {
                    for case .newBaseptr(let m) in ops { loads.append(m) }
                }
            }
            for m in loads where !isPagePinned(mfnToPFN(m)) {
                return "cpu \(c) has a cr3 load of frame \(m) (pfn \(mfnToPFN(m))) pending, which is not a PagePinned table"
            }
            guard loads.isEmpty, cpu.lazyMode != .cpu else { continue }
            if cpu.xenCR3 != pfn {
                return "cpu \(c): xen_cr3 is pfn \(cpu.xenCR3) but xen_current_cr3 is pfn \(pfn) with no cr3 load pending"
            }
            if c < xen.cr3.count, xen.cr3[c] != mfn {
                return "cpu \(c): xen_current_cr3 is pfn \(pfn) but Xen has \(xen.cr3[c].map { "frame \($0)" } ?? "no cr3") loaded"
            }
            let active = mms.indices.contains(cpu.activeMM) ? mms[cpu.activeMM]?.pgd : nil
            let expected = cpu.tlbLazy ? [active, swapperPgDir] : [active]
            if !expected.contains(pfn) {
                return "cpu \(c) has pfn \(pfn) loaded but its active mm \(cpu.activeMM) has pgd \(active.map(String.init) ?? "none")\(cpu.tlbLazy ? " (and it is not swapper_pg_dir)" : "")"
            }
        }
        return nil
    }

    /// The pages some CPU has a call queued or in flight for: a remap of the page in the
    /// kernel's direct map, or a pin, unpin or cr3 load of its frame, and every page of a
    /// tree whose root has one. PagePinned is set (or
    /// cleared) when the call is queued, so until the call has run the guest's bookkeeping
    /// says what Xen is about to have.
    func pagesWithPendingCalls() -> Set<Int> {
        var out = Set<Int>()
        func note(_ call: Hypercall) {
            switch call {
            case .updateVAMapping(let va, _, _):
                if let p = pfn(ofDirectMapVA: va) { out.insert(p) }
            case .mmuextOp(let ops):
                for op in ops {
                    switch op {
                    case .pin(_, let mfn), .unpin(let mfn), .newBaseptr(let mfn): out.insert(mfnToPFN(mfn))
                    case .tlbFlush: break
                    }
                }
            case .mmuUpdate:
                break
            }
        }
        for c in cpus { c.pendingCalls.forEach(note) }
        // A pending pin or unpin of a root covers its whole tree: the upper tables become
        // (or stop being) live tables in Xen only when the root's (un)pin runs.
        for (_, pgd) in pgds() where out.contains(pgd) { out.formUnion(tablePages(of: pgd).keys) }
        return out
    }

    /// `page-pinned-agrees`: the guest's PagePinned / SavePinned bits say what Xen has:
    /// SavePinned implies PagePinned (`xen_mm_unpin_all`'s `BUG_ON(!PagePinned(page))`); a
    /// frame Xen holds pinned is PagePinned (else Linux would free and reuse a pinned page);
    /// a PagePinned page is a live page table in Xen (validated, a page-table type), which is
    /// what makes `xen_set_pmd` / `xen_set_pte` choose the hypercall for it. Pages of an mm
    /// whose pin or unpin is still in flight are checked once it has completed.
    func checkPagePinnedAgrees() -> String? {
        for p in savePinned.sorted() where !pagePinned.contains(p) {
            return "page \(p) is SavePinned but not PagePinned"
        }
        let pending = pagesWithPendingCalls()
        for pfn in 0..<config.pfns where !pending.contains(pfn) {
            let mfn = pfnToMFN(pfn)
            guard xen.isFrame(mfn) else { continue }
            let f = xen.frames[mfn]
            if f.pinned && !pagePinned.contains(pfn) {
                return "frame \(mfn) (pfn \(pfn)) is pinned in Xen but not PagePinned"
            }
            if pagePinned.contains(pfn) && !(f.validated && f.type.level != nil) {
                return "page \(pfn) is PagePinned but frame \(mfn) is \(f.validated ? "" : "not validated, ")type \(f.type) in Xen"
            }
        }
        return nil
    }

    /// Rename machine frames by `perm` (`perm[old] = new`): Xen's state, the p2m's values and the
    /// frames named by queued multicall entries (symmetry reduction; the guest's own
    /// bookkeeping is in pfns and does not change).
    public func permutingFrames(_ perm: [Int]) -> GuestState {
        let n = xen.frames.count
        guard perm.count == n, Set(perm) == Set(0..<n) else { return self }
        var out = self
        out.xen = xen.permutingFrames(perm)
        out.p2m = p2m.permutingFrames(perm)
        for c in out.cpus.indices {
            out.cpus[c].mc.entries = cpus[c].mc.entries.map { $0.permutingFrames(perm) }
            for i in out.cpus[c].inFlight.indices {
                out.cpus[c].inFlight[i].entries = cpus[c].inFlight[i].entries.map { $0.permutingFrames(perm) }
            }
        }
        out.issued = []
        out.walks = walks
        return out
    }
}

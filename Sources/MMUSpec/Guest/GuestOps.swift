/// The guest's operations: the seed's entry points, each translated into hypervisor calls
/// exactly as the seed does, with the preconditions under which Linux calls them.

/// One guest operation. `cpu` is the CPU running it (`smp_processor_id()`); `mm` indexes
/// `GuestState.mms` (0 = `init_mm`); `va` is a byte address; entry values (`pte`, `val`) are
/// given in the guest's pfn format, as the caller builds them (`pfn_pte`, `__pmd`), and
/// converted by the op (`xen_make_pte`, `xen_make_pmd`: `pte_pfn_to_mfn`).
public enum GuestOp: Hashable, Sendable, Codable, CustomStringConvertible {
    /// `set_pte_at(mm, va, ptep, pte)` = `xen_set_pte_at`.
    case setPteAt(cpu: Int, mm: Int, va: Int, pte: PTE)
    /// `set_pmd(pmdp, val)` = `xen_set_pmd` on the level-2 entry of `va` in `mm`.
    case setPmd(cpu: Int, mm: Int, va: Int, val: PTE)
    /// `set_pud(pudp, val)` = `xen_set_pud` on the level-3 entry of `va` (3+ levels; on PAE the pgd entry).
    case setPud(cpu: Int, mm: Int, va: Int, val: PTE)
    /// `ptep_modify_prot_start` + `ptep_modify_prot_commit` (mprotect of one page of the current mm).
    case ptepModifyProtCommit(cpu: Int, mm: Int, va: Int, pte: PTE)
    /// `xen_pgd_pin(mm->pgd)` on its own (Linux reaches it through activate-mm / dup-mmap / mm-pin-all).
    case pgdPin(cpu: Int, mm: Int)
    /// `xen_pgd_unpin(mm->pgd)` on its own (Linux reaches it through exit-mmap / mm-unpin-all).
    case pgdUnpin(cpu: Int, mm: Int)
    /// exec: `current->mm = mm`, `xen_activate_mm(prev, mm)` (pin), `switch_mm(prev, mm)`.
    case activateMM(cpu: Int, mm: Int)
    /// fork: `xen_dup_mmap(current->mm, mm)` (pin the child's table).
    case dupMmap(cpu: Int, mm: Int)
    /// The last user is gone: `xen_exit_mmap(mm)` (`drop_mm_ref`, then unpin).
    case exitMmap(cpu: Int, mm: Int)
    /// Save: `xen_mm_pin_all()`.
    case mmPinAll(cpu: Int)
    /// Resume: `xen_mm_unpin_all()`.
    case mmUnpinAll(cpu: Int)
    /// `set_phys_to_machine(pfn, mfn)` (`P2M.invalidEntry` for INVALID_P2M_ENTRY).
    case setPhysToMachine(pfn: Int, mfn: Int)
    /// `make_lowmem_page_readonly(__va(pfn))`.
    case makeLowmemPageReadonly(cpu: Int, pfn: Int)
    /// `make_lowmem_page_readwrite(__va(pfn))`.
    case makeLowmemPageReadwrite(cpu: Int, pfn: Int)
    /// `arch_enter_lazy_mmu_mode()`.
    case enterLazyMMU(cpu: Int)
    /// `arch_leave_lazy_mmu_mode()` (issues the batch).
    case leaveLazyMMU(cpu: Int)
    /// A context switch to a task with mm `mm` (nil: a kernel thread, which borrows the active
    /// mm lazily): `arch_enter_lazy_cpu_mode`, `switch_mm` or `enter_lazy_tlb`, and, unless
    /// `stayLazy`, `arch_leave_lazy_cpu_mode` (else the switch stays batched until leave-lazy-cpu).
    case switchMM(cpu: Int, mm: Int?, stayLazy: Bool)
    /// `arch_leave_lazy_cpu_mode()`: the end of a context switch left lazy by switch-mm.
    case leaveLazyCPU(cpu: Int)
    /// `mm_alloc` + `pgd_alloc` into the free mm slot `mm`.
    case mmAlloc(cpu: Int, mm: Int)
    /// `__pte_alloc` for the pmd entry of `va` in `mm` (with Xen's `xen_alloc_pt` hook).
    case pteAlloc(cpu: Int, mm: Int, va: Int)
    /// The last `mmdrop` of an exited mm: `free_pgtables` (`pte_free`, `pmd_free`) and `pgd_free`.
    case mmFree(cpu: Int, mm: Int)
    /// Xen runs the next entry of the multicall `cpu` has in flight (after the last one, the
    /// callbacks and `xen_mc_flush`'s `BUG_ON`). A step of whatever operation issued it.
    case multicallEntry(cpu: Int)
    /// `cpu` takes its oldest cross call: `drop_other_mm_ref` runs there, then the sender is
    /// told it is done.
    case dropOtherMMRef(cpu: Int)
    /// `xen_exit_mmap` goes on once `drop_mm_ref`'s cross calls are answered: the unpin.
    case exitMmapUnpin(cpu: Int, mm: Int)
    /// `set_pte_mfn(va, mfn, flags)`: a kernel mapping in `swapper_pg_dir`, stored as-is with
    /// `xen_set_pte` (a plain store, emulated by Xen on the pinned kernel PTE page).
    case setPteMFN(cpu: Int, va: Int, mfn: Int, flags: PTEFlags)
    /// The balloon driver gives free page `pfn` back to Xen (`decrease_reservation`).
    case decreaseReservation(cpu: Int, pfn: Int)
    /// The balloon driver takes a fresh frame for ballooned `pfn` (`increase_reservation`).
    case increaseReservation(cpu: Int, pfn: Int)

    /// The stable kebab-case name.
    public var name: String {
        switch self {
        case .setPteAt: "set-pte-at"
        case .setPmd: "set-pmd"
        case .setPud: "set-pud"
        case .ptepModifyProtCommit: "ptep-modify-prot-commit"
        case .pgdPin: "pgd-pin"
        case .pgdUnpin: "pgd-unpin"
        case .activateMM: "activate-mm"
        case .dupMmap: "dup-mmap"
        case .exitMmap: "exit-mmap"
        case .mmPinAll: "mm-pin-all"
        case .mmUnpinAll: "mm-unpin-all"
        case .setPhysToMachine: "set-phys-to-machine"
        case .makeLowmemPageReadonly: "make-lowmem-page-readonly"
        case .makeLowmemPageReadwrite: "make-lowmem-page-readwrite"
        case .enterLazyMMU: "enter-lazy-mmu"
        case .leaveLazyMMU: "leave-lazy-mmu"
        case .switchMM: "switch-mm"
        case .leaveLazyCPU: "leave-lazy-cpu"
        case .mmAlloc: "mm-alloc"
        case .pteAlloc: "pte-alloc"
        case .mmFree: "mm-free"
        case .multicallEntry: "multicall-entry"
        case .dropOtherMMRef: "drop-other-mm-ref"
        case .exitMmapUnpin: "exit-mmap-unpin"
        case .setPteMFN: "set-pte-mfn"
        case .decreaseReservation: "decrease-reservation"
        case .increaseReservation: "increase-reservation"
        }
    }

    /// Every operation name, in declaration order.
    public static let allNames: [String] = [
        "set-pte-at", "set-pmd", "set-pud", "ptep-modify-prot-commit", "pgd-pin", "pgd-unpin",
        "activate-mm", "dup-mmap", "exit-mmap", "mm-pin-all", "mm-unpin-all", "set-phys-to-machine",
        "make-lowmem-page-readonly", "make-lowmem-page-readwrite", "enter-lazy-mmu", "leave-lazy-mmu",
        "switch-mm", "leave-lazy-cpu", "mm-alloc", "pte-alloc", "mm-free",
        "multicall-entry", "drop-other-mm-ref", "exit-mmap-unpin", "set-pte-mfn", "decrease-reservation", "increase-reservation",
    ]

    /// The `features:` key the operation named `name` needs that `config` has off (nil: none
    /// needed, or on). Without `save-restore` the seed never saves, and `xen_mm_pin_all` /
    /// `xen_mm_unpin_all` run only around save/restore; without `preserve-ad` Xen has no
    /// MMU_PT_UPDATE_PRESERVE_AD for `xen_ptep_modify_prot_commit` to queue. The one table:
    /// `notApplicableReason` refuses by it, and the spec loader and the coverage report read
    /// it (`ModelCatalog.featureMissing`).
    public static func featureMissing(_ name: String, _ config: MMUConfig) -> String? {
        switch name {
        case "mm-pin-all", "mm-unpin-all": config.saveRestore ? nil : "save-restore"
        case "ptep-modify-prot-commit": config.preserveAD ? nil : "preserve-ad"
        default: nil
        }
    }

    /// Whether the multicalls this step issues are left in flight for later steps (Xen runs
    /// them entry by entry while other CPUs run). Not for `mm-pin-all` / `mm-unpin-all` (under
    /// `stop_machine` nothing else runs) nor the continuations that complete calls themselves.
    var leavesMulticallsInFlight: Bool {
        switch self {
        case .mmPinAll, .mmUnpinAll, .setPhysToMachine, .multicallEntry, .dropOtherMMRef: false
        default: true
        }
    }

    /// The mm the operation works on, if any (for the `page_table_lock` / `mmap_sem` exclusion).
    var mm: Int? {
        switch self {
        case .setPteAt(_, let mm, _, _), .setPmd(_, let mm, _, _), .setPud(_, let mm, _, _),
             .ptepModifyProtCommit(_, let mm, _, _), .pteAlloc(_, let mm, _): mm
        case .pgdPin(_, let mm), .pgdUnpin(_, let mm), .activateMM(_, let mm), .dupMmap(_, let mm),
             .exitMmap(_, let mm), .mmAlloc(_, let mm), .mmFree(_, let mm), .exitMmapUnpin(_, let mm): mm
        case .switchMM(_, let mm, _): mm
        default: nil
        }
    }

    /// The CPU the operation runs on (nil for `set-phys-to-machine`).
    public var cpu: Int? {
        switch self {
        case .setPteAt(let c, _, _, _), .setPmd(let c, _, _, _), .setPud(let c, _, _, _),
             .ptepModifyProtCommit(let c, _, _, _): c
        case .pgdPin(let c, _), .pgdUnpin(let c, _), .activateMM(let c, _), .dupMmap(let c, _),
             .exitMmap(let c, _), .makeLowmemPageReadonly(let c, _), .makeLowmemPageReadwrite(let c, _),
             .mmAlloc(let c, _), .pteAlloc(let c, _, _), .mmFree(let c, _), .exitMmapUnpin(let c, _),
             .decreaseReservation(let c, _), .increaseReservation(let c, _), .setPteMFN(let c, _, _, _): c
        case .multicallEntry(let c), .dropOtherMMRef(let c): c
        case .mmPinAll(let c), .mmUnpinAll(let c), .enterLazyMMU(let c), .leaveLazyMMU(let c),
             .leaveLazyCPU(let c), .switchMM(let c, _, _): c
        case .setPhysToMachine: nil
        }
    }

    public var description: String {
        func hex(_ v: Int) -> String { "0x" + String(v, radix: 16) }
        switch self {
        case .setPteAt(let c, let mm, let va, let p): return "set-pte-at(cpu: \(c), mm: \(mm), va: \(hex(va)), pte: \(p))"
        case .setPmd(let c, let mm, let va, let v): return "set-pmd(cpu: \(c), mm: \(mm), va: \(hex(va)), val: \(v))"
        case .setPud(let c, let mm, let va, let v): return "set-pud(cpu: \(c), mm: \(mm), va: \(hex(va)), val: \(v))"
        case .ptepModifyProtCommit(let c, let mm, let va, let p): return "ptep-modify-prot-commit(cpu: \(c), mm: \(mm), va: \(hex(va)), pte: \(p))"
        case .pgdPin(let c, let mm), .pgdUnpin(let c, let mm), .activateMM(let c, let mm), .dupMmap(let c, let mm),
             .exitMmap(let c, let mm), .mmAlloc(let c, let mm), .mmFree(let c, let mm):
            return "\(name)(cpu: \(c), mm: \(mm))"
        case .pteAlloc(let c, let mm, let va): return "pte-alloc(cpu: \(c), mm: \(mm), va: \(hex(va)))"
        case .multicallEntry(let c), .dropOtherMMRef(let c): return "\(name)(cpu: \(c))"
        case .exitMmapUnpin(let c, let mm): return "exit-mmap-unpin(cpu: \(c), mm: \(mm))"
        case .mmPinAll(let c), .mmUnpinAll(let c), .enterLazyMMU(let c), .leaveLazyMMU(let c), .leaveLazyCPU(let c):
            return "\(name)(cpu: \(c))"
        case .setPhysToMachine(let pfn, let mfn): return "set-phys-to-machine(pfn: \(pfn), mfn: \(mfn == P2M.invalidEntry ? "INVALID" : String(mfn)))"
        case .makeLowmemPageReadonly(let c, let p), .makeLowmemPageReadwrite(let c, let p),
             .decreaseReservation(let c, let p), .increaseReservation(let c, let p): return "\(name)(cpu: \(c), pfn: \(p))"
        case .switchMM(let c, let mm, let lazy): return "switch-mm(cpu: \(c), mm: \(mm.map(String.init) ?? "none"), stay-lazy: \(lazy))"
        case .setPteMFN(let c, let va, let mfn, let flags): return "set-pte-mfn(cpu: \(c), va: \(hex(va)), mfn: \(mfn), flags: \(flags))"
        }
    }
}

/// The answer to one guest operation.
public enum GuestOpResult: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Done; Xen accepted everything the seed needed.
    case ok
    /// The seed hit a BUG (a hypercall Xen refused where the seed BUGs, or a `BUG_ON`); the
    /// message is also kept in `GuestState.bug`, and no operation follows.
    case failed(String)
    /// The seed's preconditions do not hold (Linux never calls it so); nothing changed.
    case notApplicable

    public var description: String {
        switch self {
        case .ok: "ok"
        case .failed(let m): "failed: \(m)"
        case .notApplicable: "not-applicable"
        }
    }
}

extension GuestState {
    // MARK: - Precondition helpers

    func validCPU(_ c: Int) -> Bool { cpus.indices.contains(c) }
    /// The CPU exists and is not in a lazy mode (outside any batched section).
    func idleCPU(_ c: Int) -> Bool { validCPU(c) && cpus[c].lazyMode == .none }
    /// The CPU exists and is not inside a context switch.
    func notSwitching(_ c: Int) -> Bool { validCPU(c) && cpus[c].lazyMode != .cpu }
    /// A process mm slot that holds an mm.
    func isProcessMM(_ mm: Int) -> Bool { mm >= 1 && mms.indices.contains(mm) && mms[mm] != nil }
    /// A process mm that has not exited.
    func isLiveMM(_ mm: Int) -> Bool { isProcessMM(mm) && mms[mm]?.exited == false }
    /// Some CPU uses the mm (as its current or active mm: a user or an mm_count).
    func mmInUse(_ mm: Int) -> Bool { cpus.contains { $0.currentMM == mm || $0.activeMM == mm } }
    /// Some CPU's lazy MMU section works on the mm.
    func mmInLazySection(_ mm: Int) -> Bool { cpus.contains { $0.lazyMM == mm } }
    /// A live mm whose table was never pinned and that no CPU uses: fresh from mm-alloc.
    func isFreshMM(_ mm: Int) -> Bool {
        guard isLiveMM(mm), let pgd = mms[mm]?.pgd else { return false }
        return !isPagePinned(pgd) && !mmInUse(mm)
    }
    /// A live mm with a pinned table: a task may run with it.
    func isRunnableMM(_ mm: Int) -> Bool {
        guard isLiveMM(mm), let pgd = mms[mm]?.pgd else { return false }
        return isPagePinned(pgd)
    }

    /// Why `op` may not run now (nil = applicable). Mirrors when Linux calls each function.
    public func notApplicableReason(_ op: GuestOp) -> String? {
        if bug != nil { return "the guest has hit a BUG" }
        // The feature an operation needs, first (GuestOp.featureMissing: one table).
        switch op {
        case .mmPinAll, .mmUnpinAll, .ptepModifyProtCommit:
            if let f = GuestOp.featureMissing(op.name, config) { return "features.\(f) is off" }
        default: break
        }
        switch op {
        case .multicallEntry(let c):
            return validCPU(c) && !cpus[c].inFlight.isEmpty ? nil : "cpu \(c) has no multicall in flight"
        case .dropOtherMMRef(let c):
            guard validCPU(c), !cpus[c].pendingIPIs.isEmpty else { return "no cross call waits on cpu \(c)" }
            return takesInterrupts(c) ? nil : "cpu \(c) has interrupts off (in a context switch or a multicall)"
        case .exitMmapUnpin(let c, let mm):
            guard validCPU(c), cpus[c].resume == .exitMmapUnpin(mm: mm) else { return "cpu \(c) is not in exit-mmap of mm \(mm)" }
            guard cpus[c].awaiting.isEmpty && cpus[c].inFlight.isEmpty else { return "cpu \(c) still waits for its cross calls or multicalls" }
            return lockReason(op)
        default:
            break
        }
        if let c = op.cpu, validCPU(c), cpus[c].busy { return "cpu \(c) is inside an operation (a multicall in flight, or waiting for cross calls)" }
        if let reason = lockReason(op) { return reason }
        if suspended, case .mmUnpinAll = op {} else if suspended { return "suspended (stop_machine)" }
        switch op {
        case .setPteAt(let c, let mm, let va, _), .ptepModifyProtCommit(let c, let mm, let va, _):
            guard notSwitching(c) else { return "cpu \(c) missing or in a context switch" }
            // rmap and reclaim (try_to_unmap_one) still reach an exited mm's PTEs until its
            // tables are freed: a set-pte-at outside any lazy section.
            var reclaim = false
            if case .setPteAt = op, isProcessMM(mm), mms[mm]?.exited == true, cpus[c].lazyMode == .none { reclaim = true }
            guard mm == GuestState.initMM || isLiveMM(mm) || reclaim, let pgd = mms[mm]?.pgd else { return "mm \(mm) is not live" }
            guard let loc = entryLocation(pgd: pgd, va: va, level: 1) else { return "no PTE page maps that address" }
            if case .ptepModifyProtCommit = op {
                guard cpus[c].currentMM == mm else { return "mm \(mm) is not this cpu's current mm" }
                // mprotect's change_pte_range runs its ptep_modify_prot_start/commit pairs in a
                // lazy MMU section (arch_enter_lazy_mmu_mode), always.
                guard cpus[c].lazyMode == .mmu else { return "mprotect updates PTEs in a lazy MMU section (change_pte_range)" }
                guard readEntry(pfn: loc.pfn, slot: loc.slot)?.isPresent == true else { return "no present pte" }
            }
            if cpus[c].lazyMode == .mmu {
                if let m = cpus[c].lazyMM, m != mm { return "cpu \(c)'s lazy section works on mm \(m)" }
                if let p = cpus[c].lazyPTEPage, p != loc.pfn { return "cpu \(c)'s lazy section holds the lock of PTE page \(p)" }
            }
            // "updates to init_mm may be done without lock" (xen_set_pte_at): kernel mappings
            // take no PTE lock; every other mm's update holds its PTE page's lock.
            if mm != GuestState.initMM, cpus.indices.contains(where: { $0 != c && cpus[$0].lazyPTEPage == loc.pfn }) {
                return "another cpu's lazy section holds the lock of PTE page \(loc.pfn)"
            }
            if mm != GuestState.initMM, let d = cpus.indices.first(where: { $0 != c && cpus[$0].heldPTELocks.contains(loc.pfn) }) {
                return "cpu \(d) holds the lock of PTE page \(loc.pfn) (lock_pte, until its batch is issued)"
            }
            return nil
        case .setPmd(let c, let mm, let va, let val), .setPud(let c, let mm, let va, let val):
            guard idleCPU(c) else { return "cpu \(c) missing or lazy (lazy sections only update PTEs)" }
            guard mm == GuestState.initMM || isLiveMM(mm), let pgd = mms[mm]?.pgd else { return "mm \(mm) is not live" }
            let level: Int
            if case .setPud = op { level = 3 } else { level = 2 }
            guard level <= config.levels else { return "the level is folded" }
            guard let loc = entryLocation(pgd: pgd, va: va, level: level) else { return "no table holds that entry" }
            guard !mmInLazySection(mm) else { return "a lazy section works on mm \(mm) (mmap_sem)" }
            // Clearing an entry of a process table is free_pgtables' work (free_pte_range,
            // free_pmd_range), which runs after the range is unmapped: the table it frees is empty.
            if !val.isPresent, mm != GuestState.initMM, let old = readEntry(pfn: loc.pfn, slot: loc.slot), old.isPresent {
                let child = mfnToPFN(old.frame)
                if mms[mm]?.tablePages[child] != nil,
                   (0..<ptrsPerTable).contains(where: { readEntry(pfn: child, slot: $0)?.isPresent == true }) {
                    return "the table at page \(child) still has entries (free_pgtables runs after unmapping)"
                }
            }
            return nil
        case .pgdPin(let c, let mm):
            guard idleCPU(c) else { return "cpu \(c) missing or lazy" }
            guard isLiveMM(mm), let pgd = mms[mm]?.pgd, !isPagePinned(pgd) else { return "mm \(mm) is not a live unpinned mm" }
            return nil
        case .pgdUnpin(let c, let mm):
            guard idleCPU(c) else { return "cpu \(c) missing or lazy" }
            guard isProcessMM(mm), let pgd = mms[mm]?.pgd, isPagePinned(pgd) else { return "mm \(mm) is not pinned" }
            guard !mmInUse(mm), !mmInLazySection(mm), !cpus.contains(where: { $0.xenCR3 == pgd || $0.xenCurrentCR3 == pgd }) else { return "mm \(mm) is in use" }
            return nil
        case .activateMM(let c, let mm):
            guard idleCPU(c) else { return "cpu \(c) missing or lazy" }
            guard isFreshMM(mm) else { return "mm \(mm) is not fresh" }
            return nil
        case .dupMmap(let c, let mm):
            guard idleCPU(c), cpus[c].currentMM != nil else { return "cpu \(c) runs no process" }
            guard isFreshMM(mm) else { return "mm \(mm) is not fresh" }
            return nil
        case .exitMmap(let c, let mm):
            guard idleCPU(c) else { return "cpu \(c) missing or lazy" }
            guard isLiveMM(mm) else { return "mm \(mm) is not live" }
            guard !cpus.contains(where: { $0.currentMM == mm }), !mmInLazySection(mm) else { return "a task still uses mm \(mm)" }
            return nil
        case .mmPinAll(let c):
            guard validCPU(c) else { return "cpu \(c) missing" }
            guard cpus.allSatisfy({ $0.lazyMode == .none && !$0.busy && $0.pendingIPIs.isEmpty }) else {
                return "a cpu is lazy or inside an operation (stop_machine waits)"
            }
            return nil
        case .mmUnpinAll(let c):
            guard validCPU(c), suspended else { return "not suspended" }
            return nil
        case .setPhysToMachine:
            return nil
        case .setPteMFN(let c, let va, _, _):
            guard idleCPU(c), !cpus[c].busy else { return "cpu \(c) missing, lazy or inside an operation" }
            guard entryLocation(pgd: swapperPgDir, va: va, level: 1) != nil else { return "no kernel PTE page maps that address" }
            return nil
        case .decreaseReservation(let c, let pfn):
            guard idleCPU(c), !cpus[c].busy else { return "cpu \(c) missing, lazy or inside an operation" }
            guard balloonedPages.isEmpty else { return "the model's balloon holds one page" }
            guard allocatablePages().contains(pfn) else { return "pfn \(pfn) is not a free page" }
            return nil
        case .increaseReservation(let c, let pfn):
            guard idleCPU(c), !cpus[c].busy else { return "cpu \(c) missing, lazy or inside an operation" }
            guard (0..<config.pfns).contains(pfn), pfnToMFN(pfn) == P2M.invalidEntry else { return "pfn \(pfn) is not in the balloon" }
            guard xenHeapHasFrame else { return "Xen's heap is empty (populate_physmap returns 0 extents)" }
            return nil
        case .makeLowmemPageReadonly(let c, let pfn):
            guard idleCPU(c) else { return "cpu \(c) missing or lazy" }
            guard (0..<config.pfns).contains(pfn), pfnToMFN(pfn) != P2M.invalidEntry,
                  tablePageOwners()[pfn] == nil, kernelMapping(of: pfn)?.isWritable == true else { return "pfn \(pfn) is not a writable non-table page" }
            return nil
        case .makeLowmemPageReadwrite(let c, let pfn):
            guard idleCPU(c) else { return "cpu \(c) missing or lazy" }
            guard (0..<config.pfns).contains(pfn), pfnToMFN(pfn) != P2M.invalidEntry, tablePageOwners()[pfn] == nil,
                  let e = kernelMapping(of: pfn), e.isPresent, !e.isWritable else { return "pfn \(pfn) is not a read-only non-table page" }
            return nil
        case .enterLazyMMU(let c):
            guard idleCPU(c) else { return "cpu \(c) missing or lazy" }
            return nil
        case .leaveLazyMMU(let c):
            guard validCPU(c), cpus[c].lazyMode == .mmu else { return "cpu \(c) is not in lazy MMU mode" }
            return nil
        case .switchMM(let c, let mm, _):
            guard idleCPU(c) else { return "cpu \(c) missing or lazy" }
            if let mm, !isRunnableMM(mm) { return "mm \(mm) is not runnable" }
            return nil
        case .leaveLazyCPU(let c):
            guard validCPU(c), cpus[c].lazyMode == .cpu else { return "cpu \(c) is not in lazy CPU mode" }
            return nil
        case .mmAlloc(let c, let mm):
            guard idleCPU(c) else { return "cpu \(c) missing or lazy" }
            guard mm >= 1, mms.indices.contains(mm), mms[mm] == nil else { return "mm slot \(mm) is not free" }
            guard allocatablePages().count >= pgdAllocPageCount() else { return "out of memory" }
            return nil
        case .pteAlloc(let c, let mm, let va):
            guard idleCPU(c) else { return "cpu \(c) missing or lazy" }
            guard isLiveMM(mm), let pgd = mms[mm]?.pgd else { return "mm \(mm) is not live" }
            guard va >= 0, va < config.taskSize, let loc = entryLocation(pgd: pgd, va: va, level: 2),
                  readEntry(pfn: loc.pfn, slot: loc.slot) == PTE.none else { return "no empty pmd entry for va" }
            guard !allocatablePages().isEmpty else { return "out of memory" }
            return nil
        case .mmFree(let c, let mm):
            guard idleCPU(c) else { return "cpu \(c) missing or lazy" }
            guard isProcessMM(mm), mms[mm]?.exited == true, let pgd = mms[mm]?.pgd else { return "mm \(mm) has not exited" }
            guard !mmInUse(mm), !mmInLazySection(mm), !isPagePinned(pgd) else { return "mm \(mm) is still referenced" }
            return nil
        case .multicallEntry, .dropOtherMMRef, .exitMmapUnpin:
            return nil   // decided above
        }
    }

    /// The locks `op` would wait for: an mm's `page_table_lock` (with the `mmap_sem` /
    /// `mm_users` exclusion the seed relies on) held by another CPU's unfinished operation on
    /// that mm; for the pinning walks, a PTE page lock another CPU holds (`lock_pte` would spin).
    /// PTE updates take only their PTE page's lock (split PTE locks): checked with their address.
    func lockReason(_ op: GuestOp) -> String? {
        guard let mm = op.mm, mms.indices.contains(mm) else { return nil }
        let me = op.cpu
        switch op {
        case .setPteAt, .ptepModifyProtCommit:
            // Outside a lazy section (rmap, reclaim) only the PTE lock is held; a lazy
            // section (zap_pte_range, change_pte_range) also holds the mm's mmap_sem.
            guard let c = me, validCPU(c), cpus[c].lazyMode == .mmu else { return nil }
        default:
            break
        }
        if let d = cpus.indices.first(where: { $0 != me && cpus[$0].heldMMLocks.contains(mm) }) {
            if case .switchMM = op {
                // Not a lock: while the pin of exec or fork is unfinished, no other task of
                // the mm exists yet (mm_users).
                return "cpu \(d) has not finished pinning mm \(mm): no task can run on it yet"
            }
            return "cpu \(d) holds the page_table_lock of mm \(mm) (its operation on the mm is unfinished)"
        }
        switch op {
        case .pgdPin, .pgdUnpin, .activateMM, .dupMmap, .exitMmap, .exitMmapUnpin:
            let ptePages = (mms[mm]?.tablePages ?? [:]).filter { $0.value == .pte }.keys
            for p in ptePages.sorted() {
                if let d = cpus.indices.first(where: { $0 != me && (cpus[$0].heldPTELocks.contains(p) || cpus[$0].lazyPTEPage == p) }) {
                    return "cpu \(d) holds the lock of PTE page \(p) of mm \(mm)"
                }
            }
        default:
            break
        }
        return nil
    }

    /// After `old` was replaced by `val` in an upper table of `mm`: if that cleared the entry of
    /// a level-`level` table page of the mm, free it as `free_pgtables` does (`pte_free_tlb` /
    /// `pmd_free_tlb` -> `xen_release_pt` / `xen_release_pd`); the page leaves the mm and is
    /// free for reuse at once.
    mutating func releaseClearedTable(cpu: Int, mm: Int, old: PTE?, val: PTE, level: PTLevel) {
        guard !val.isPresent, let old, old.isPresent, bug == nil, mm != GuestState.initMM else { return }
        let page = mfnToPFN(old.frame)
        guard mms[mm]?.tablePages[page] == level else { return }
        xenReleasePTPage(cpu: cpu, pfn: page, level: level)
        mms[mm]?.tablePages[page] = nil
    }

    /// The PTE lock (`pte_offset_map_lock`) and the mm's `mmap_sem` a lazy MMU section holds:
    /// its first PTE update fixes the mm and PTE page it works on, until its final batch has
    /// run (`releaseFinishedLocks`). An update outside lazy sections completes within its own
    /// step (a direct `update_va_mapping` or a plain store), so it holds them no longer than
    /// the step: mprotect, whose batch would stay in flight, always runs in a lazy section
    /// (`change_pte_range`; the precondition of `ptep-modify-prot-commit`).
    mutating func bindLazySection(cpu: Int, mm: Int, ptePage: Int) {
        guard cpus[cpu].lazyMode == .mmu else { return }
        cpus[cpu].lazyMM = mm
        cpus[cpu].lazyPTEPage = ptePage
    }

    // MARK: - apply

    /// One step of a CPU's program: `.notApplicable` (nothing changed) if Linux would not run
    /// it now; else the seed's code up to the operation's first wait: the multicalls it issues
    /// stay in flight (`multicall-entry` steps run them), `drop_mm_ref`'s cross calls are
    /// queued (`drop-other-mm-ref`), and what follows them waits (`exit-mmap-unpin`). A direct
    /// hypercall or plain store first completes what the CPU has in flight. `.failed` if it hit
    /// a BUG. docs/model.md, "Steps".
    public mutating func step(_ op: GuestOp) -> GuestOpResult {
        if notApplicableReason(op) != nil { return .notApplicable }
        issued = []
        walks = []
        deferringCPU = op.leavesMulticallsInFlight ? op.cpu : nil
        defer { deferringCPU = nil }
        switch op {
        case .setPteAt(let c, let mm, let va, let pte):
            guard let pgd = mms[mm]?.pgd, let loc = entryLocation(pgd: pgd, va: va, level: 1) else { return .notApplicable }
            bindLazySection(cpu: c, mm: mm, ptePage: loc.pfn)
            xenSetPTEAt(cpu: c, mm: mm, addr: va, EntryPointer(pfn: loc.pfn, slot: loc.slot), ptePfnToMFN(pte))
        case .setPmd(let c, let mm, let va, let val):
            guard let pgd = mms[mm]?.pgd, let loc = entryLocation(pgd: pgd, va: va, level: 2) else { return .notApplicable }
            let old = readEntry(pfn: loc.pfn, slot: loc.slot)
            xenSetPMD(cpu: c, EntryPointer(pfn: loc.pfn, slot: loc.slot), ptePfnToMFN(val))
            // Clearing the entry of a PTE page of this mm is `free_pte_range`: `pmd_clear`,
            // then `pte_free_tlb` -> `xen_release_pt` (unpin, read-write remap) and the page
            // goes back to the allocator at once.
            releaseClearedTable(cpu: c, mm: mm, old: old, val: val, level: .pte)
        case .setPud(let c, let mm, let va, let val):
            guard let pgd = mms[mm]?.pgd, let loc = entryLocation(pgd: pgd, va: va, level: 3) else { return .notApplicable }
            let old = readEntry(pfn: loc.pfn, slot: loc.slot)
            xenSetPUD(cpu: c, EntryPointer(pfn: loc.pfn, slot: loc.slot), ptePfnToMFN(val))
            // Clearing the entry of a pmd page is `free_pmd_range`: `pud_clear`, then
            // `pmd_free_tlb` -> `xen_release_pd` (read-write remap) and the page is free.
            releaseClearedTable(cpu: c, mm: mm, old: old, val: val, level: .pmd)
        case .ptepModifyProtCommit(let c, let mm, let va, let pte):
            guard let pgd = mms[mm]?.pgd, let loc = entryLocation(pgd: pgd, va: va, level: 1) else { return .notApplicable }
            bindLazySection(cpu: c, mm: mm, ptePage: loc.pfn)
            xenPtepModifyProtCommit(cpu: c, EntryPointer(pfn: loc.pfn, slot: loc.slot), ptePfnToMFN(pte))
        case .pgdPin(let c, let mm):
            if let pgd = mms[mm]?.pgd { xenPgdPin(cpu: c, pgd: pgd) }
        case .pgdUnpin(let c, let mm):
            if let pgd = mms[mm]?.pgd { xenPgdUnpin(cpu: c, pgd: pgd) }
        case .activateMM(let c, let mm):
            // exec_mmap: tsk->mm = mm; tsk->active_mm = mm; activate_mm(active_mm, mm).
            let prev = cpus[c].activeMM
            cpus[c].currentMM = mm
            xenActivateMM(cpu: c, next: mm)
            switchMM(cpu: c, prev: prev, next: mm)
        case .dupMmap(let c, let mm):
            xenDupMmap(cpu: c, mm: mm)
        case .exitMmap(let c, let mm):
            mms[mm]?.exited = true   // mm_users is 0: nothing new may use the mm
            xenExitMmap(cpu: c, mm: mm)
        case .exitMmapUnpin(let c, let mm):
            cpus[c].resume = nil
            xenExitMmapUnpin(cpu: c, mm: mm)
        case .multicallEntry(let c):
            runNextMulticallEntry(cpu: c)
        case .dropOtherMMRef(let c):
            deliverIPI(cpu: c)
        case .mmPinAll(let c):
            xenMMPinAll(cpu: c)
            suspended = true
        case .mmUnpinAll(let c):
            xenMMUnpinAll(cpu: c)
            suspended = false
        case .setPhysToMachine(let pfn, let mfn):
            if let e = p2m.setPhysToMachine(pfn, mfn) { BUG(e.description) }
        case .setPteMFN(let c, let va, let mfn, let flags):
            setPTEMFN(cpu: c, vaddr: va, mfn: mfn, flags: flags)
        case .decreaseReservation(let c, let pfn):
            decreaseReservation(cpu: c, pfn: pfn)
        case .increaseReservation(let c, let pfn):
            increaseReservation(cpu: c, pfn: pfn)
        case .makeLowmemPageReadonly(let c, let pfn):
            makeLowmemPageReadonly(cpu: c, vaddr: directMapVA(pfn))
        case .makeLowmemPageReadwrite(let c, let pfn):
            makeLowmemPageReadwrite(cpu: c, vaddr: directMapVA(pfn))
        case .enterLazyMMU(let c):
            archEnterLazyMMUMode(cpu: c)
        case .leaveLazyMMU(let c):
            // The section's locks (its PTE page's lock, the mm's mmap_sem) are held until its
            // batch completes: released by releaseFinishedLocks.
            archLeaveLazyMMUMode(cpu: c)
        case .switchMM(let c, let mm, let stayLazy):
            // context_switch: arch_enter_lazy_cpu_mode; switch_mm or enter_lazy_tlb; __switch_to
            // ends with arch_leave_lazy_cpu_mode.
            archEnterLazyCPUMode(cpu: c)
            if let mm {
                let prev = cpus[c].activeMM
                cpus[c].currentMM = mm
                switchMM(cpu: c, prev: prev, next: mm)
            } else {
                cpus[c].currentMM = nil
                enterLazyTLB(cpu: c)
            }
            if !stayLazy { archLeaveLazyCPUMode(cpu: c) }
        case .leaveLazyCPU(let c):
            archLeaveLazyCPUMode(cpu: c)
        case .mmAlloc(let c, let mm):
            guard let (pgd, pages) = pgdAlloc(cpu: c) else { return .notApplicable }
            mms[mm] = MMStruct(pgd: pgd, tablePages: pages)
        case .pteAlloc(let c, let mm, let va):
            guard let pgd = mms[mm]?.pgd, let loc = entryLocation(pgd: pgd, va: va, level: 2) else { return .notApplicable }
            _ = pteAlloc(cpu: c, mm: mm, pmd: EntryPointer(pfn: loc.pfn, slot: loc.slot))
        case .mmFree(let c, let mm):
            freeMMTables(cpu: c, mm: mm)
        }
        if let c = op.cpu, validCPU(c) {
            switch op {
            case .setPmd(_, let mm, _, _), .setPud(_, let mm, _, _), .pteAlloc(_, let mm, _), .pgdPin(_, let mm), .pgdUnpin(_, let mm):
                // mmap_sem / page_table_lock held around the update until its batch has run.
                holdMMLockUntilIssued(cpu: c, mm: mm)
            default:
                break
            }
            releaseFinishedLocks(cpu: c)
        }
        if let bug { return .failed(bug) }
        return .ok
    }

    /// One guest operation run to its end at once, as one indivisible step: `step`, then the
    /// CPU's multicalls complete, its cross calls are delivered at once (wherever the targets
    /// are: the atomic model's simplification) and its continuation runs. For tests of one
    /// seed function; the explorer runs `step`.
    public mutating func apply(_ op: GuestOp) -> GuestOpResult {
        let r = step(op)
        guard r == .ok, let c = op.cpu, validCPU(c) else { return r }
        deferringCPU = nil
        drainInFlight(cpu: c)
        while bug == nil, let t = cpus.indices.first(where: { cpus[$0].pendingIPIs.contains { $0.from == c } }) {
            deliverIPI(cpu: t)
        }
        if bug == nil, case .exitMmapUnpin(let mm)? = cpus[c].resume, cpus[c].awaiting.isEmpty {
            cpus[c].resume = nil
            xenExitMmapUnpin(cpu: c, mm: mm)
            drainInFlight(cpu: c)
        }
        releaseFinishedLocks(cpu: c)
        if let bug { return .failed(bug) }
        return .ok
    }

    // MARK: - enabledOperations

    /// Every applicable operation, in a fixed order, with arguments drawn from small faithful
    /// sets (see docs/model.md, "Exploration"):
    /// - user addresses: the first `slotsPerTable` slots of each table on the way down
    ///   (entries in further slots behave the same);
    /// - pte values (pfn format): none, the data page read-only (`PAGE_READONLY`) and
    ///   read-write (`PAGE_SHARED`), skipping the value already there;
    /// - set-pmd / set-pud: clearing a present entry (`pmd_clear` / `pud_clear`); populating
    ///   is pte-alloc's job;
    /// - memory-management work outside lazy sections (mm-alloc, pte-alloc, dup-mmap, mm-free,
    ///   make-lowmem-page-*) on every idle CPU; mm-pin-all / mm-unpin-all, which need every
    ///   CPU idle and complete at once, on CPU 0 only (the result is the same on any CPU);
    /// - mm-alloc uses the lowest free mm slot;
    /// - pgd-pin, pgd-unpin and set-phys-to-machine are not offered: Linux reaches the first
    ///   two only through activate-mm / dup-mmap / exit-mmap / mm-pin-all / mm-unpin-all, and
    ///   calls the third only from the balloon driver (decrease- / increase-reservation).
    ///
    /// `kernelMappings`: also offer the data page's kernel mapping updates (set-pte-at on
    /// init_mm, set-pte-mfn). The explorer turns them on only for specs that enable
    /// `set-pte-mfn` (`GuestModel`): with every PTE update at once they multiply states.
    public func enabledOperations(slotsPerTable: Int = 2, kernelMappings: Bool = true) -> [GuestOp] {
        guard bug == nil else { return [] }
        var ops: [GuestOp] = []
        if suspended {
            if let c = cpus.indices.first { ops.append(.mmUnpinAll(cpu: c)) }
            return ops.filter { notApplicableReason($0) == nil }
        }
        let slots = max(1, min(slotsPerTable, ptrsPerTable))
        let processMMs = mms.indices.dropFirst().filter { mms[$0] != nil }
        let data = dataPage()
        // Zero and the data page mapped; and at the first user page only, a swap entry (not
        // present: Linux stores it untranslated). One address is enough to see a translated
        // non-present entry (`p2m-roundtrip`); swap entries everywhere multiplied the PAE
        // spec's states past its bound (docs/model.md, simplifications).
        var userValues: [PTE] = [.none]
        if let data {
            userValues.append(PTE(frame: data, flags: GuestState.pageReadonly))
            userValues.append(PTE(frame: data, flags: GuestState.pageShared))
        }
        /// User addresses at the start of each level-`level` range reachable in the first slots.
        func userAddresses(step level: Int) -> [Int] {
            var out: [Int] = [0]
            for l in stride(from: config.levels, through: level, by: -1) {
                var next: [Int] = []
                for base in out { for s in 0..<slots { next.append(base + s * span(l)) } }
                out = next
            }
            return out.filter { $0 < config.taskSize }.sorted()
        }
        let pteVAs = userAddresses(step: 1)
        let pmdVAs = userAddresses(step: 2)
        let pudVAs = config.levels >= 3 ? userAddresses(step: 3) : []

        for c in cpus.indices {
            // The steps that continue an operation already under way on this CPU.
            if !cpus[c].inFlight.isEmpty { ops.append(.multicallEntry(cpu: c)) }
            if !cpus[c].pendingIPIs.isEmpty { ops.append(.dropOtherMMRef(cpu: c)) }
            if case .exitMmapUnpin(let mm)? = cpus[c].resume { ops.append(.exitMmapUnpin(cpu: c, mm: mm)) }
            if cpus[c].busy { continue }
            switch cpus[c].lazyMode {
            case .cpu:
                ops.append(.leaveLazyCPU(cpu: c))
                continue
            case .mmu:
                ops.append(.leaveLazyMMU(cpu: c))
            case .none:
                ops.append(.enterLazyMMU(cpu: c))
                ops.append(.switchMM(cpu: c, mm: nil, stayLazy: false))
                ops.append(.switchMM(cpu: c, mm: nil, stayLazy: true))
                for mm in processMMs {
                    ops.append(.switchMM(cpu: c, mm: mm, stayLazy: false))
                    ops.append(.switchMM(cpu: c, mm: mm, stayLazy: true))
                }
                for mm in processMMs {
                    ops.append(.activateMM(cpu: c, mm: mm))
                    ops.append(.exitMmap(cpu: c, mm: mm))
                }
            }
            // rmap / reclaim on an exited mm whose tables are not freed yet (outside lazy sections).
            if cpus[c].lazyMode == .none {
                for mm in processMMs where mms[mm]?.exited == true {
                    guard let pgd = mms[mm]?.pgd else { continue }
                    for va in pteVAs {
                        guard let loc = entryLocation(pgd: pgd, va: va, level: 1),
                              let cur = readEntry(pfn: loc.pfn, slot: loc.slot), cur.isPresent else { continue }
                        ops.append(.setPteAt(cpu: c, mm: mm, va: va, pte: .none))   // ptep_clear_flush
                    }
                }
            }
            // Kernel mappings (init_mm, no lock): the data page's direct-map entry made
            // read-only or read-write again, through set_pte_at(&init_mm, ...) (also in lazy MMU
            // sections: then a queued update_va_mapping, which Xen resolves through this CPU's
            // cr3: a process pgd's private kernel pmd, or swapper_pg_dir) and, outside lazy
            // sections and operations, through set_pte_mfn (a plain store, emulated by Xen).
            if kernelMappings, let data, let cur = kernelMapping(of: data), cur.isPresent {
                let kva = directMapVA(data)
                for flags in [GuestState.pageKernel, GuestState.pageKernelRO] where flags != cur.flags {
                    ops.append(.setPteAt(cpu: c, mm: GuestState.initMM, va: kva, pte: PTE(frame: data, flags: flags)))
                    if cpus[c].lazyMode == .none {
                        ops.append(.setPteMFN(cpu: c, va: kva, mfn: pfnToMFN(data), flags: flags))
                    }
                }
            }
            // Page-table updates (also inside lazy MMU sections).
            for mm in processMMs where isLiveMM(mm) {
                guard let pgd = mms[mm]?.pgd else { continue }
                for va in pteVAs {
                    guard let loc = entryLocation(pgd: pgd, va: va, level: 1),
                          let cur = readEntry(pfn: loc.pfn, slot: loc.slot) else { continue }
                    let curPfn = pteMFNToPfn(cur)
                    let values = va == pteVAs.first ? userValues + [swapEntry] : userValues
                    for v in values where v != curPfn { ops.append(.setPteAt(cpu: c, mm: mm, va: va, pte: v)) }
                    if cur.isPresent, cpus[c].currentMM == mm, config.preserveAD {
                        for flags in [GuestState.pageReadonly, GuestState.pageShared] {
                            let v = PTE(frame: curPfn.frame, flags: flags)
                            if v.flags != curPfn.flags { ops.append(.ptepModifyProtCommit(cpu: c, mm: mm, va: va, pte: v)) }
                        }
                    }
                }
                for va in pmdVAs {
                    if let loc = entryLocation(pgd: pgd, va: va, level: 2),
                       let cur = readEntry(pfn: loc.pfn, slot: loc.slot), cur != .none {
                        ops.append(.setPmd(cpu: c, mm: mm, va: va, val: .none))
                    }
                }
                for va in pudVAs {
                    if let loc = entryLocation(pgd: pgd, va: va, level: 3),
                       let cur = readEntry(pfn: loc.pfn, slot: loc.slot), cur != .none {
                        ops.append(.setPud(cpu: c, mm: mm, va: va, val: .none))
                    }
                }
            }
        }
        // Memory-management work outside lazy sections, on every idle CPU (which CPU runs it
        // matters: its multicalls stay in flight there). vCPU symmetry (CPUSymmetry.swift)
        // keeps one of the resulting states per class.
        for c in cpus.indices where cpus[c].lazyMode == .none && !cpus[c].busy {
            if let free = mms.indices.dropFirst().first(where: { mms[$0] == nil }) { ops.append(.mmAlloc(cpu: c, mm: free)) }
            for mm in processMMs {
                for va in pmdVAs { ops.append(.pteAlloc(cpu: c, mm: mm, va: va)) }
                ops.append(.dupMmap(cpu: c, mm: mm))
                ops.append(.mmFree(cpu: c, mm: mm))
            }
            if let data {
                ops.append(.makeLowmemPageReadonly(cpu: c, pfn: data))
                ops.append(.makeLowmemPageReadwrite(cpu: c, pfn: data))
            }
        }
        // The balloon, on the lowest idle CPU (its steps issue direct calls only, on a CPU with
        // nothing batched or in flight: the CPU makes no difference).
        if let c = cpus.indices.first(where: { cpus[$0].lazyMode == .none && !cpus[$0].busy }) {
            // The lowest free page only: every free page took specs/guest-balloon.yaml past
            // 8 minutes (docs/model.md, simplifications).
            if balloonedPages.isEmpty, let p = allocatablePages().first { ops.append(.decreaseReservation(cpu: c, pfn: p)) }
            for p in balloonedPages { ops.append(.increaseReservation(cpu: c, pfn: p)) }
        }
        // Save runs under stop_machine with every CPU idle and completes at once, so the CPU
        // that runs it makes no difference: offered once.
        if let c = cpus.indices.first { ops.append(.mmPinAll(cpu: c)) }   // filtered by its feature below
        return ops.filter { notApplicableReason($0) == nil }
    }
}

/// The guest half of the executable specification: Linux's PV MMU protocol (the seed,
/// `arch/x86/xen/mmu.c` 2008) running on the hypervisor model `XenState`.
///
/// The guest's memory *is* the hypervisor's frames: the guest reads its page tables straight
/// from `xen.frames` (through the p2m) and changes them only by plain stores through its own
/// mappings (`XenState.guestStore`) or by hypercalls, exactly as Linux must. Everything Linux
/// keeps for itself (p2m, PagePinned / SavePinned, mm structs, per-CPU state, multicall
/// buffers) lives here.
///
/// The model's layout (see docs/model.md, "Guest"): virtual addresses are bytes; user space is
/// `[0, TASK_SIZE)`; the kernel's direct map of lowmem starts at `TASK_SIZE` (pfn `p` at
/// `TASK_SIZE + p * PAGE_SIZE`, the model's `PAGE_OFFSET`); Xen's area is above `FIXADDR_TOP`.

/// Test-only protocol breakages, to show the checker catches a missing rule. Stored in the
/// state; never reachable from spec files.
public enum GuestMutation: String, CaseIterable, Hashable, Sendable, Codable {
    /// `xen_exit_mmap` without `drop_mm_ref`: other CPUs keep their (lazy) reference to the mm's
    /// page table while it is unpinned and remapped read-write.
    case skipDropMMRef = "skip-drop-mm-ref"
    /// `pin_page` / `unpin_page` without `lock_pte` (and no `do_unlock`): another CPU's plain
    /// store to a PTE page may land between the batch's read-only remap and its pin (or, on
    /// unpin, between the unpin and the read-write remap). The lock the seed takes for this.
    case skipLockPTE = "skip-lock-pte"
    /// `drop_mm_ref` / `drop_other_mm_ref` as before Linux commit 9f79991d ("xen: deal with
    /// stale cr3 values when unpinning pagetables"): only `cpu_vm_mask` is asked, nobody looks
    /// at `xen_current_cr3`, and no `arch_flush_lazy_cpu_mode`; a CPU whose cr3 load is still
    /// queued in its context switch keeps the table loaded in Xen while it is unpinned.
    case skipCurrentCR3Scan = "skip-current-cr3-scan"
    /// The pte conversions without their `_PAGE_PRESENT` test, as XenLinux's PAE `pte_val` /
    /// `__pte` were before Jan Beulich's "linux/x86: Adjust and fix page table handling"
    /// (xen-unstable eee7931c, February 2007): every non-zero entry went through the p2m / m2p,
    /// so a non-present entry (a swap entry, `_PAGE_PROTNONE`) was stored translated.
    case convertNonPresentEntries = "convert-non-present-entries"
}

/// The page-table levels as the seed names them (`enum pt_level`).
public enum PTLevel: String, Hashable, Sendable, Codable, CaseIterable {
    case pgd = "PT_PGD", pud = "PT_PUD", pmd = "PT_PMD", pte = "PT_PTE"
}

/// One `struct mm_struct` (the parts the seed uses).
public struct MMStruct: Hashable, Sendable, Codable {
    /// `mm->pgd`, as a pfn (`PFN_DOWN(__pa(mm->pgd))`).
    public var pgd: Int
    /// Every page-table page allocated for this mm (pgd, pmds, PTE pages), with its level; a
    /// table whose entry is cleared leaves at once (`releaseClearedTable`). Shared kernel
    /// PTE pages belong to `init_mm`. Used to free them (`pgd_free`, `pte_free`).
    public var tablePages: [Int: PTLevel]
    /// `mm->cpu_vm_mask`: the CPUs that may hold TLB entries / a cr3 for this mm.
    public var cpuVMMask: Set<Int>
    /// `exit_mmap` has run (the mm is being torn down; only `mm-free` may follow).
    public var exited: Bool

    public init(pgd: Int, tablePages: [Int: PTLevel], cpuVMMask: Set<Int> = [], exited: Bool = false) {
        self.pgd = pgd
        self.tablePages = tablePages
        self.cpuVMMask = cpuVMMask
        self.exited = exited
    }
}

/// Per-CPU state of the guest.
public struct GuestCPU: Hashable, Sendable, Codable {
    /// `current->mm`: the mm of the task running here; nil for a kernel thread (or idle).
    public var currentMM: Int?
    /// `per_cpu(cpu_tlbstate).active_mm` (= `current->active_mm`): the mm whose tables this CPU
    /// uses; a kernel thread borrows the previous one (lazy TLB). Index into `mms`.
    public var activeMM: Int
    /// `cpu_tlbstate.state == TLBSTATE_LAZY` (a kernel thread borrowing `activeMM`).
    public var tlbLazy: Bool
    /// `xen_cr3`: the pgd (pfn) Linux last asked to load (updated at once by `xen_write_cr3`).
    public var xenCR3: Int
    /// `xen_current_cr3`: the pgd (pfn) Xen has actually loaded, updated by the
    /// `set_current_cr3` multicall callback once the batch is issued.
    public var xenCurrentCR3: Int
    /// `paravirt_lazy_mode` of this CPU.
    public var lazyMode: LazyMode
    /// The per-CPU multicall buffer (`mc_buffer`).
    public var mc: MulticallBuffer
    /// PTE-page locks held (`lock_pte`), released by the `do_unlock` callbacks.
    public var heldPTELocks: Set<Int>
    /// The lazy MMU section in progress: the mm and the PTE page (pfn) it works on. Linux's
    /// lazy sections (`zap_pte_range`, `change_pte_range`, ...) update the PTEs of one PTE page
    /// with its lock held (`pte_offset_map_lock`) and the mm's `mmap_sem`; set by the first PTE
    /// update of the section, cleared when it ends. The model's stand-in for those locks (an
    /// update outside lazy sections completes within its step: `bindLazySection`).
    public var lazyMM: Int?
    public var lazyPTEPage: Int?
    /// Multicalls this CPU has issued that Xen has not finished (`HYPERVISOR_multicall` in
    /// progress): Xen runs one entry per step and other CPUs run in between, as on Xen. The CPU
    /// is inside the hypercall (interrupts off, `xen_mc_flush`'s `local_irq_save`) until the
    /// last entry and its callbacks have run.
    public var inFlight: [InFlightMulticall]
    /// The CPUs this CPU has sent a cross call to and waits for (`smp_call_function_mask(...,
    /// wait=1)`): each leaves the set once its handler has run.
    public var awaiting: Set<Int>
    /// Cross calls sent to this CPU and not yet handled, oldest first. Delivered only while
    /// the CPU has interrupts on: not in a context switch, not inside a multicall.
    public var pendingIPIs: [PendingIPI]
    /// What this CPU's operation does once its cross calls are answered.
    public var resume: GuestContinuation?
    /// The mms whose `page_table_lock` (and the `mmap_sem` / `mm_users` exclusion around it)
    /// this CPU's unfinished operation holds: released when its multicalls have completed and
    /// nothing is left to resume (`spin_unlock` right after `xen_pgd_pin` returns).
    public var heldMMLocks: Set<Int>

    public init(activeMM: Int, cr3: Int) {
        self.currentMM = nil
        self.activeMM = activeMM
        self.tlbLazy = true
        self.xenCR3 = cr3
        self.xenCurrentCR3 = cr3
        self.lazyMode = .none
        self.mc = MulticallBuffer()
        self.heldPTELocks = []
        self.lazyMM = nil
        self.lazyPTEPage = nil
        self.inFlight = []
        self.awaiting = []
        self.pendingIPIs = []
        self.resume = nil
        self.heldMMLocks = []
    }

    /// Inside an operation: a multicall in progress, cross calls awaited, or a continuation.
    public var busy: Bool { !inFlight.isEmpty || !awaiting.isEmpty || resume != nil }

    /// Every call this CPU has queued or issued that Xen has not run yet: the buffer's, then
    /// those in flight (oldest batch first).
    public var pendingCalls: [Hypercall] { mc.entries + inFlight.flatMap(\.entries) }
}

/// One event of the ghost log of the last operation: what the guest asked of Xen, in order.
public enum IssuedCall: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A direct `HYPERVISOR_*` call.
    case hypercall(vcpu: Int, Hypercall, HypercallResult)
    /// `HYPERVISOR_multicall` of the flushed buffer: every entry with its own result.
    case multicall(vcpu: Int, [Hypercall], [HypercallResult])
    /// A plain memory store of `val` into slot `slot` of the page at `va` (no hypercall; Xen
    /// sees it only when it faults: `outcome` nil and `error` set; or when it is emulated).
    case store(vcpu: Int, va: Int, slot: Int, val: PTE, outcome: XenState.StoreOutcome?, error: XenError?)

    public var description: String {
        switch self {
        case .hypercall(let v, let c, let r): "cpu\(v) hypercall \(c) -> \(r)"
        case .multicall(let v, let cs, let rs): "cpu\(v) multicall [" + zip(cs, rs).map { "\($0) -> \($1)" }.joined(separator: "; ") + "]"
        case .store(let v, let va, let slot, let val, let o, let e):
            "cpu\(v) store 0x\(String(va, radix: 16))[\(slot)] = \(val) -> \(o.map { "\($0)" } ?? e.map(\.description) ?? "?")"
        }
    }
}

/// What one `pgd_walk` did (ghost, for the `walk-limit` invariant and for tests).
public struct WalkRecord: Hashable, Sendable, Codable {
    /// One callback invocation: the page, its level, and the byte range `[start, end)` of
    /// virtual addresses the page's entries cover in this walk.
    public struct Visit: Hashable, Sendable, Codable {
        public var pfn: Int
        public var level: PTLevel
        public var start: Int
        public var end: Int
    }
    public var pgd: Int
    public var limit: Int
    public var visits: [Visit]
}

/// The whole guest state: the hypervisor plus everything Linux keeps.
///
/// Equality and hashing ignore the ghost logs `issued` and `walks` (they describe the last
/// operation, not the state), so the explorer does not tell apart states that differ only in
/// how they were reached.
public struct GuestState: Sendable, Codable {
    /// The hypervisor and the machine's memory.
    public var xen: XenState
    /// The guest's p2m table.
    public var p2m: P2M
    /// `PG_pinned` per page (pfns): set by `pin_page` / `xen_mark_init_mm_pinned`.
    public var pagePinned: Set<Int>
    /// `PG_savepinned` per page (pfns): pgds pinned by `xen_mm_pin_all`.
    public var savePinned: Set<Int>
    /// mm structs: index 0 is `init_mm` (pgd = `swapper_pg_dir`), 1...config.mms are process
    /// slots (nil = free). The process slots in order are the seed's `pgd_list`.
    public var mms: [MMStruct?]
    /// Per-CPU state, index = CPU = vCPU.
    public var cpus: [GuestCPU]
    /// Between `mm-pin-all` and `mm-unpin-all` (save/restore runs under `stop_machine`: nothing
    /// else runs in between).
    public var suspended: Bool
    /// The first BUG the guest hit (a hypercall Xen refused where the seed BUGs, a `BUG_ON`):
    /// Linux is dead; no operation follows. Checked by `no-failed-hypercall`.
    public var bug: String?
    /// A walk that broke the `walk-limit` rule (kept in the state so the invariant sees it).
    public var walkLimitViolation: String?
    /// Test-only mutations.
    public let mutations: Set<GuestMutation>
    /// Ghost: what the last operation issued (hypercalls, multicalls, plain stores).
    public var issued: [IssuedCall]
    /// Ghost: the walks the last operation made.
    public var walks: [WalkRecord]
    /// While a step runs: the CPU whose multicalls are left in flight when it issues them
    /// (`xenMCFlush`); nil outside a step and in steps that complete their calls at once.
    var deferringCPU: Int?

    public var config: MMUConfig { xen.config }

    // MARK: - Page-table flag sets (x86 `pgtable.h`)

    /// `PAGE_KERNEL` (the model omits NX and GLOBAL: no effect on any rule modelled).
    public static let pageKernel: PTEFlags = [.present, .rw, .accessed, .dirty]
    /// `PAGE_KERNEL_RO`.
    public static let pageKernelRO: PTEFlags = [.present, .accessed, .dirty]
    /// `_PAGE_TABLE`: an upper-level entry of user space.
    public static let pageTable: PTEFlags = [.present, .rw, .user, .accessed, .dirty]
    /// `_KERNPG_TABLE`: an upper-level entry of kernel space.
    public static let kernpgTable: PTEFlags = [.present, .rw, .accessed, .dirty]
    /// `PAGE_READONLY` (a user data page mapped read-only).
    public static let pageReadonly: PTEFlags = [.present, .user, .accessed]
    /// `PAGE_SHARED` (a user data page mapped read-write).
    public static let pageShared: PTEFlags = [.present, .rw, .user, .accessed]
}

extension GuestState: Hashable {
    public static func == (a: GuestState, b: GuestState) -> Bool {
        a.xen == b.xen && a.p2m == b.p2m && a.pagePinned == b.pagePinned && a.savePinned == b.savePinned
            && a.mms == b.mms && a.cpus == b.cpus && a.suspended == b.suspended && a.bug == b.bug
            && a.walkLimitViolation == b.walkLimitViolation && a.mutations == b.mutations
    }
    public func hash(into h: inout Hasher) {
        h.combine(xen); h.combine(p2m); h.combine(pagePinned); h.combine(savePinned)
        h.combine(mms); h.combine(cpus); h.combine(suspended); h.combine(bug)
        h.combine(walkLimitViolation); h.combine(mutations)
    }
}

// MARK: - Layout: the seed's address arithmetic in the model's small address space

extension GuestState {
    /// `PAGE_SIZE`.
    public static let pageSize = MMUConfig.pageSize
    /// Entries per table (`PTRS_PER_PTE`; the model uses one width for every level).
    public var ptrsPerTable: Int { max(1, config.entriesPerTable) }
    /// Bytes mapped by one entry of a level-`level` table (level 1 = a PTE maps one page).
    public func span(_ level: Int) -> Int {
        var s = GuestState.pageSize
        for _ in 1..<max(1, min(level, 8)) { s = s &* ptrsPerTable }
        return s
    }
    /// `PGDIR_SIZE`: bytes per pgd entry.
    public var pgdirSize: Int { span(config.levels) }
    /// `PTRS_PER_PUD` (1 = folded: 2- and 3-level builds).
    public var ptrsPerPUD: Int { config.levels >= 4 ? ptrsPerTable : 1 }
    /// `PTRS_PER_PMD` (1 = folded: the 2-level build).
    public var ptrsPerPMD: Int { config.levels >= 3 ? ptrsPerTable : 1 }
    /// `PUD_SIZE` (= `PGDIR_SIZE` when the pud is folded).
    public var pudSize: Int { config.levels >= 4 ? span(3) : pgdirSize }
    /// The level of the table holding the entry for `va` that the seed calls pgd / pud / pmd / pte.
    public func level(of l: PTLevel) -> Int? {
        switch l {
        case .pgd: config.levels
        case .pud: config.levels >= 4 ? 3 : nil
        case .pmd: config.levels >= 3 ? 2 : nil
        case .pte: 1
        }
    }
    /// The seed's name for the level-`level` table.
    public func ptLevel(_ level: Int) -> PTLevel {
        if level <= 1 { return .pte }
        if level >= config.levels { return .pgd }
        return level == 2 ? .pmd : .pud
    }
    /// The slot of `va` in a level-`level` table.
    public func index(va: Int, level: Int) -> Int { (max(0, va) / span(level)) % ptrsPerTable }

    /// `__va(pfn << PAGE_SHIFT)`: the kernel's direct-map address of `pfn` (`PAGE_OFFSET` = TASK_SIZE).
    public func directMapVA(_ pfn: Int) -> Int { config.taskSize &+ pfn &* GuestState.pageSize }
    /// `__pa(va) >> PAGE_SHIFT` for a direct-map address, nil elsewhere.
    public func pfn(ofDirectMapVA va: Int) -> Int? {
        guard va >= config.taskSize, va < config.fixaddrTop else { return nil }
        let p = (va - config.taskSize) / GuestState.pageSize
        return p < config.pfns ? p : nil
    }

    /// `swapper_pg_dir` (pfn).
    public var swapperPgDir: Int { mms.first??.pgd ?? 0 }
    /// Index of `init_mm` in `mms`.
    public static let initMM = 0

    // MARK: - Reading the guest's own memory

    /// Entry `slot` of the page `pfn` as stored in memory (machine format), nil if none.
    public func readEntry(pfn: Int, slot: Int) -> PTE? { xen.entry(pfnToMFN(pfn), slot) }

    /// The location (page pfn, slot) of the level-`level` entry for `va` in the tree rooted at
    /// `pgd`, following present entries (`pgd_offset`, `pud_offset`, `pmd_offset`,
    /// `pte_offset_kernel`); nil when an upper entry is none or names no guest page.
    public func entryLocation(pgd: Int, va: Int, level: Int) -> (pfn: Int, slot: Int)? {
        guard level >= 1, level <= config.levels, va >= 0, va < config.addressSpaceSize else { return nil }
        var table = pgd
        var l = config.levels
        while l > level {
            guard let e = readEntry(pfn: table, slot: index(va: va, level: l)), e.isPresent else { return nil }
            let child = mfnToPFN(e.frame)
            guard child != P2M.invalidEntry, (0..<config.pfns).contains(child) else { return nil }
            table = child
            l -= 1
        }
        return (table, index(va: va, level: level))
    }

    /// `lookup_address(va)` in the kernel's tables (`init_mm`): the PTE location mapping `va`.
    public func lookupAddress(_ va: Int) -> (pfn: Int, slot: Int)? {
        entryLocation(pgd: swapperPgDir, va: va, level: 1)
    }

    /// The kernel direct-map entry of `pfn` (machine format), nil if not mapped.
    public func kernelMapping(of pfn: Int) -> PTE? {
        guard let loc = lookupAddress(directMapVA(pfn)) else { return nil }
        return readEntry(pfn: loc.pfn, slot: loc.slot)
    }

    /// Every page-table page reachable from `pgd` (all levels, every address), with its level.
    public func tablePages(of pgd: Int) -> [Int: PTLevel] {
        var out: [Int: PTLevel] = [:]
        func visit(_ pfn: Int, _ level: Int) {
            guard out[pfn] == nil else { return }
            out[pfn] = ptLevel(level)
            guard level > 1 else { return }
            for slot in 0..<ptrsPerTable {
                guard let e = readEntry(pfn: pfn, slot: slot), e.isPresent else { continue }
                let child = mfnToPFN(e.frame)
                if (0..<config.pfns).contains(child) { visit(child, level - 1) }
            }
        }
        visit(pgd, config.levels)
        return out
    }
}

// MARK: - Boot

extension GuestState {
    /// Checks that `config` is usable for the guest layout (on top of `config.validate()`),
    /// naming the field that is too small or misaligned.
    public static func validate(config: MMUConfig) throws(ConfigError) {
        try config.validate()
        let probe = GuestState(unbootedConfig: config)
        let pgdir = probe.pgdirSize
        if config.taskSize <= 0 || config.taskSize % pgdir != 0 {
            throw ConfigError(field: "task-size", message: "must be a positive multiple of PGDIR_SIZE = \(pgdir) bytes (\(pgdir / pageSize) pages) so that pgd_alloc can copy whole kernel pgd entries (got \(config.taskSize))")
        }
        if config.taskSize >= config.fixaddrTop {
            throw ConfigError(field: "fixaddr-top", message: "must be above task-size \(config.taskSize): the kernel direct map lives between them (got \(config.fixaddrTop))")
        }
        let lowmem = (config.fixaddrTop - config.taskSize) / pageSize
        if config.pfns > lowmem {
            throw ConfigError(field: "pfns", message: "\(config.pfns) pfns do not fit the kernel direct map between task-size and fixaddr-top (\(lowmem) pages; the model has no highmem)")
        }
        if config.machineFrames < config.pfns {
            throw ConfigError(field: "machine-frames", message: "must be at least pfns = \(config.pfns) (every pfn needs a machine frame; got \(config.machineFrames))")
        }
        let bootTables = probe.bootTableCount()
        let process = probe.pgdAllocPageCount() + 1
        if config.pfns < bootTables + process + 1 {
            throw ConfigError(field: "pfns", message: "\(config.pfns) pfns are too few: swapper_pg_dir needs \(bootTables) page-table pages, one process \(process) (pgd_alloc plus one PTE page), and one data page is needed (at least \(bootTables + process + 1))")
        }
    }

    /// A state with the sizes of `config` and nothing built (used to compute the layout).
    init(unbootedConfig config: MMUConfig, mutations: Set<GuestMutation> = [], xenMutations: Set<XenMutation> = []) {
        self.xen = XenState(config: config, mutations: xenMutations)
        self.p2m = P2M(maxDomainPages: config.pfns)
        self.pagePinned = []
        self.savePinned = []
        self.mms = Array(repeating: nil, count: 1 + max(0, config.mms))
        self.cpus = []
        self.suspended = false
        self.bug = nil
        self.walkLimitViolation = nil
        self.mutations = mutations
        self.issued = []
        self.walks = []
    }

    /// The upper-level tables and PTE pages swapper_pg_dir needs to map every pfn.
    func bootTableCount() -> Int {
        var needed = Set<String>()
        for p in 0..<max(0, config.pfns) {
            let va = directMapVA(p)
            for level in 1..<max(1, config.levels) {
                needed.insert("\(level):\(va / span(level + 1))")
            }
        }
        return needed.count + 1
    }

    /// Boot: the domain builder's work, then Linux's early bookkeeping.
    ///
    /// The domain builder (Xen's tools) hands the guest `config.pfns` frames (pfn `p` gets mfn
    /// `machineFrames-1-p`, so pfn and mfn differ and a missing conversion shows), fills the
    /// m2p, builds `swapper_pg_dir` with the kernel direct map of every pfn (read-only where the
    /// page is one of these page tables), pins it as the root and loads it on every vCPU.
    /// Frames not given to the guest belong to Xen. Then Linux runs
    /// `xen_mark_init_mm_pinned` (`pgd_walk(init_mm.pgd, mark_pinned, FIXADDR_TOP)`).
    /// An invalid configuration gives an unbooted state whose `bug` names the field.
    public init(config: MMUConfig, mutations: Set<GuestMutation> = [], xenMutations: Set<XenMutation> = []) {
        self.init(unbootedConfig: config, mutations: mutations, xenMutations: xenMutations)
        do throws(ConfigError) {
            try GuestState.validate(config: config)
        } catch {
            bug = "invalid configuration: \(error)"
            return
        }
        let frames = config.machineFrames
        for p in 0..<config.pfns {
            _ = p2m.setPhysToMachine(p, frames - 1 - p)
            xen.m2p[frames - 1 - p] = p
        }
        for m in 0..<(frames - config.pfns) { xen.frames[m].owner = .xen }

        // Build swapper_pg_dir: pfn 0 is the pgd, then tables in address order.
        var nextPfn = 0
        func allocate() -> Int { defer { nextPfn += 1 }; return nextPfn }
        let pgd = allocate()
        var tables: [Int: PTLevel] = [pgd: .pgd]
        func write(_ pfn: Int, _ slot: Int, _ e: PTE) { xen.frames[pfnToMFN(pfn)].entries[slot] = e }
        for p in 0..<config.pfns {
            let va = directMapVA(p)
            var table = pgd
            for level in stride(from: config.levels, to: 1, by: -1) {
                let slot = index(va: va, level: level)
                if let e = readEntry(pfn: table, slot: slot), e.isPresent {
                    table = mfnToPFN(e.frame)
                } else {
                    let child = allocate()
                    tables[child] = ptLevel(level - 1)
                    write(table, slot, PTE(frame: pfnToMFN(child), flags: GuestState.kernpgTable))
                    table = child
                }
            }
        }
        for p in 0..<config.pfns {
            let va = directMapVA(p)
            guard let loc = entryLocation(pgd: pgd, va: va, level: 1) else { continue }
            let flags = tables[p] != nil ? GuestState.pageKernelRO : GuestState.pageKernel
            write(loc.pfn, loc.slot, PTE(frame: pfnToMFN(p), flags: flags))
        }
        mms[GuestState.initMM] = MMStruct(pgd: pgd, tablePages: tables, cpuVMMask: Set(0..<config.vcpus))
        cpus = (0..<config.vcpus).map { _ in GuestCPU(activeMM: GuestState.initMM, cr3: pgd) }

        // The builder pins the root and loads it on every vCPU.
        let pin = Hypercall.mmuextOp([.pin(level: config.levels, mfn: pfnToMFN(pgd))])
        let r = xen.hypercall(pin, vcpu: 0)
        issued.append(.hypercall(vcpu: 0, pin, r))
        if let e = r.error { bug = "boot: the domain builder's pin of swapper_pg_dir failed with \(e)"; return }
        for v in 0..<config.vcpus {
            let load = Hypercall.mmuextOp([.newBaseptr(mfn: pfnToMFN(pgd))])
            let r = xen.hypercall(load, vcpu: v)
            issued.append(.hypercall(vcpu: v, load, r))
            if let e = r.error { bug = "boot: loading swapper_pg_dir on vCPU \(v) failed with \(e)"; return }
        }
        xenMarkInitMMPinned()
    }

    /// `xen_mark_init_mm_pinned`: the domain builder pinned init_mm's table before Linux had
    /// page structures; record it (`mark_pinned` sets PagePinned on every page the walk visits).
    mutating func xenMarkInitMMPinned() {
        _ = pgdWalk(swapperPgDir, limit: config.fixaddrTop) { s, pfn, _ in
            s.pagePinned.insert(pfn)
            return false
        }
    }

    /// Record the seed's BUG (the first one wins: Linux stops there).
    mutating func BUG(_ message: String) {
        if bug == nil { bug = message }
    }
}

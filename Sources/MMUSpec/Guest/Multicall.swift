/// The per-CPU multicall buffer (Linux `arch/x86/xen/multicalls.c`): hypercalls queued with
/// `xen_mc_entry` and issued together as one `HYPERVISOR_multicall` by `xen_mc_flush`, either
/// at once (`xen_mc_issue` outside lazy mode) or when lazy mode ends.

/// A callback queued with `xen_mc_callback`: runs after the batch has been issued.
public enum MulticallCallback: Hashable, Sendable, Codable, CustomStringConvertible {
    /// `do_unlock(ptl)`: release the PTE page lock taken by `lock_pte` in `pin_page` / `unpin_page`.
    case doUnlock(ptePfn: Int)
    /// `set_current_cr3(cr3)`: `xen_current_cr3 = cr3` once the new_baseptr has really happened.
    case setCurrentCR3(pfn: Int)

    public var description: String {
        switch self {
        case .doUnlock(let p): "do_unlock(pte page \(p))"
        case .setCurrentCR3(let p): "set_current_cr3(\(p))"
        }
    }
}

/// `struct mc_buffer`: queued entries, their argument space, and the callbacks.
public struct MulticallBuffer: Hashable, Sendable, Codable {
    /// `MC_BATCH` is `MMUConfig.multicallBatch` (the seed's 32); `MC_ARGS` is `MC_BATCH * 16`
    /// bytes of argument space (`argsBytes(batch:)`).
    public static func argsBytes(batch: Int) -> Int { batch * 16 }
    /// `sizeof(struct mmu_update)` (two u64).
    public static let mmuUpdateSize = 16
    /// `sizeof(struct mmuext_op)` on the seed's 32-bit build (cmd, arg1, arg2).
    public static let mmuextOpSize = 12

    /// The queued entries (`entries[0..<mcidx]`), in order.
    public var entries: [Hypercall] = []
    /// `argidx`: argument bytes used.
    public var argBytes: Int = 0
    /// The queued callbacks (`callbacks[0..<cbidx]`).
    public var callbacks: [MulticallCallback] = []

    public init() {}

    public var isEmpty: Bool { entries.isEmpty && callbacks.isEmpty && argBytes == 0 }

    /// `roundup(argidx, sizeof(u64))`: where `__xen_mc_entry` places the next entry's arguments.
    static func alignedArgs(_ bytes: Int) -> Int { (bytes + 7) / 8 * 8 }

    /// The argument bytes a queued call occupies.
    static func argSize(_ call: Hypercall) -> Int {
        switch call {
        case .mmuUpdate(let rs): rs.count * mmuUpdateSize
        case .mmuextOp(let ops): ops.count * mmuextOpSize
        case .updateVAMapping: 0
        }
    }
}

/// A multicall Xen is executing for a CPU (`HYPERVISOR_multicall` of a flushed buffer): its
/// entries run one per step, in order, each with its own result (other vCPUs run between
/// entries, as Xen lets them); after the last, `xen_mc_flush` runs the callbacks and
/// `BUG_ON(ret)` if an entry failed.
public struct InFlightMulticall: Hashable, Sendable, Codable {
    /// The entries not yet run, in order.
    public var entries: [Hypercall]
    /// The callbacks queued with the batch (`xen_mc_callback`).
    public var callbacks: [MulticallCallback]
    /// The first failure so far (the BUG's message once the batch is done).
    public var failure: String?
    /// Entries already run (for messages: the index of an entry in its batch).
    public var done: Int
    /// The mms whose `page_table_lock` the issuing CPU releases once this batch has run (the
    /// `spin_unlock` after `xen_pgd_pin` / `xen_pgd_unpin` returns).
    public var releasesMMs: [Int] = []

    public init(entries: [Hypercall], callbacks: [MulticallCallback]) {
        self.entries = entries
        self.callbacks = callbacks
        self.failure = nil
        self.done = 0
    }
}

extension Hypercall {
    /// The same call with machine frames renamed by `perm` (for `GuestState.permutingFrames`).
    public func permutingFrames(_ perm: [Int]) -> Hypercall {
        if case .hypercall(_, let c) = XenState.permuting(.hypercall(vcpu: 0, self), perm) { return c }
        return self
    }
}

extension GuestState {
    /// `xen_mc_flush()` on `cpu`: issue the queued entries as one multicall (each entry runs
    /// and gets its own result whatever the others did; a batched `mmu_update` inside stops at
    /// its first failing request), empty the buffer, run the callbacks, then
    /// `BUG_ON(ret)` if any entry failed. An empty buffer issues nothing.
    ///
    /// In a step that leaves its multicalls in flight (`deferringCPU`), the batch is handed to
    /// Xen and runs entry by entry in later steps (`runNextMulticallEntry`); otherwise (and
    /// after anything this CPU still has in flight) it runs here, whole.
    mutating func xenMCFlush(cpu: Int) {
        guard cpus.indices.contains(cpu) else { return }
        let b = cpus[cpu].mc
        cpus[cpu].mc = MulticallBuffer()
        if deferringCPU == cpu {
            if !b.entries.isEmpty || !b.callbacks.isEmpty {
                cpus[cpu].inFlight.append(InFlightMulticall(entries: b.entries, callbacks: b.callbacks))
            }
            return
        }
        drainInFlight(cpu: cpu)
        if bug != nil { return }
        runAtOnce(InFlightMulticall(entries: b.entries, callbacks: b.callbacks), cpu: cpu)
    }

    /// Xen runs the rest of batch `b` of `cpu` without a break (logged as one multicall),
    /// then the batch ends (`finish`).
    mutating func runAtOnce(_ b: InFlightMulticall, cpu: Int) {
        var b = b
        if !b.entries.isEmpty {
            let results = HypercallBatch.multicall(b.entries) { call in xen.hypercall(call, vcpu: cpu) }
            issued.append(.multicall(vcpu: cpu, b.entries, results))
            if b.failure == nil, let i = results.firstIndex(where: { !$0.succeeded }) {
                b.failure = "xen_mc_flush on cpu \(cpu): multicall entry \(b.done + i) \(b.entries[i]) failed: \(results[i])"
            }
        }
        finish(b, cpu: cpu)
    }

    /// The end of a batch in `xen_mc_flush`: the callbacks run, the page-table locks waiting
    /// for this batch are released, then `BUG_ON(ret)` if an entry failed.
    mutating func finish(_ b: InFlightMulticall, cpu: Int) {
        for cb in b.callbacks { run(cb, cpu: cpu) }
        for mm in b.releasesMMs { cpus[cpu].heldMMLocks.remove(mm) }
        if let f = b.failure { BUG(f) }
    }

    /// Xen runs the next entry of `cpu`'s oldest multicall in flight; after its last entry the
    /// callbacks run, then `xen_mc_flush`'s `BUG_ON(ret)`. No effect when nothing is in flight.
    mutating func runNextMulticallEntry(cpu: Int) {
        guard cpus.indices.contains(cpu), var b = cpus[cpu].inFlight.first else { return }
        if let call = b.entries.first {
            let r = HypercallBatch.multicall([call]) { c in xen.hypercall(c, vcpu: cpu) }[0]
            issued.append(.multicall(vcpu: cpu, [call], [r]))
            if !r.succeeded, b.failure == nil {
                b.failure = "xen_mc_flush on cpu \(cpu): multicall entry \(b.done) \(call) failed: \(r)"
            }
            b.entries.removeFirst()
            b.done += 1
        }
        if b.entries.isEmpty {
            cpus[cpu].inFlight.removeFirst()
            finish(b, cpu: cpu)
        } else {
            cpus[cpu].inFlight[0] = b
        }
        releaseFinishedLocks(cpu: cpu)
    }

    /// Run everything `cpu` has in flight to the end, in order (the CPU needs Xen's answers
    /// before its next access to shared state): each batch's remaining entries at once, logged
    /// as one multicall, then its callbacks and `BUG_ON`. Stops at a BUG.
    mutating func drainInFlight(cpu: Int) {
        guard cpus.indices.contains(cpu) else { return }
        while bug == nil, let b = cpus[cpu].inFlight.first {
            cpus[cpu].inFlight.removeFirst()
            runAtOnce(b, cpu: cpu)
        }
        releaseFinishedLocks(cpu: cpu)
    }

    /// `spin_unlock(&mm->page_table_lock)` (or `mmap_sem`'s release) right after the locked
    /// part of an operation has issued its last multicall: held until that batch has run
    /// (released by `releasesMMs`), released now if nothing is in flight.
    mutating func holdMMLockUntilIssued(cpu: Int, mm: Int) {
        guard cpus.indices.contains(cpu) else { return }
        if let last = cpus[cpu].inFlight.indices.last {
            if !cpus[cpu].inFlight[last].releasesMMs.contains(mm) { cpus[cpu].inFlight[last].releasesMMs.append(mm) }
            cpus[cpu].heldMMLocks.insert(mm)
        } else {
            cpus[cpu].heldMMLocks.remove(mm)
        }
    }

    /// A finished lazy MMU section's PTE lock and `mmap_sem` are released once the CPU has
    /// nothing left in flight and nothing to resume.
    mutating func releaseFinishedLocks(cpu: Int) {
        guard cpus.indices.contains(cpu), !cpus[cpu].busy else { return }
        if cpus[cpu].lazyMode != .mmu {
            // A lazy MMU section ends once its batch has completed (`arch_leave_lazy_mmu_mode`
            // flushes before the section unlocks its PTE page and releases mmap_sem).
            cpus[cpu].lazyMM = nil
            cpus[cpu].lazyPTEPage = nil
        }
    }

    /// Run one multicall callback on `cpu`.
    mutating func run(_ cb: MulticallCallback, cpu: Int) {
        switch cb {
        case .doUnlock(let pfn): cpus[cpu].heldPTELocks.remove(pfn)
        case .setCurrentCR3(let pfn): cpus[cpu].xenCurrentCR3 = pfn
        }
    }

    /// `__xen_mc_entry(args)` + `MULTI_*`: queue `call` on `cpu`'s buffer, flushing first when
    /// the buffer has no room (`mcidx == MC_BATCH || roundup(argidx, 8) + args > MC_ARGS`;
    /// the entry's arguments start at the next multiple of 8 bytes; Linux 2.6.27, the seed's
    /// `multicalls.c`, which has `xen_mc_extend_args`).
    mutating func xenMCEntry(cpu: Int, _ call: Hypercall) {
        guard cpus.indices.contains(cpu) else { return }
        let size = MulticallBuffer.argSize(call)
        var start = MulticallBuffer.alignedArgs(cpus[cpu].mc.argBytes)
        if cpus[cpu].mc.entries.count == config.multicallBatch || start + size > MulticallBuffer.argsBytes(batch: config.multicallBatch) {
            xenMCFlush(cpu: cpu)
            start = MulticallBuffer.alignedArgs(cpus[cpu].mc.argBytes)
        }
        cpus[cpu].mc.entries.append(call)
        cpus[cpu].mc.argBytes = start + size
    }

    /// `extend_mmu_update(u)`: `xen_mc_extend_args(__HYPERVISOR_mmu_update, sizeof(*u))` appends
    /// the request to the last queued entry when that entry is an `mmu_update` and the argument
    /// space has room (the call's count grows); otherwise a new one-request `mmu_update` entry
    /// is queued (`__xen_mc_entry` + `MULTI_mmu_update`). Room: `argidx + size <= MC_ARGS`, with
    /// no rounding (2.6.27's `if ((b->argidx + size) > MC_ARGS) return ret;`; later kernels made
    /// every such test `>=`).
    mutating func extendMMUUpdate(cpu: Int, _ request: MMUUpdateRequest) {
        guard cpus.indices.contains(cpu) else { return }
        let size = MulticallBuffer.mmuUpdateSize
        if case .mmuUpdate(let rs)? = cpus[cpu].mc.entries.last,
           cpus[cpu].mc.argBytes + size <= MulticallBuffer.argsBytes(batch: config.multicallBatch) {
            cpus[cpu].mc.entries[cpus[cpu].mc.entries.count - 1] = .mmuUpdate(rs + [request])
            cpus[cpu].mc.argBytes += size
            return
        }
        xenMCEntry(cpu: cpu, .mmuUpdate([request]))
    }

    /// `xen_mc_callback(fn, data)`: queue a callback (flushing first if the callback array is full).
    mutating func xenMCCallback(cpu: Int, _ cb: MulticallCallback) {
        guard cpus.indices.contains(cpu) else { return }
        if cpus[cpu].mc.callbacks.count == config.multicallBatch { xenMCFlush(cpu: cpu) }
        cpus[cpu].mc.callbacks.append(cb)
    }

    /// `xen_mc_issue(mode)`: flush unless the CPU is in lazy mode `mode`
    /// (`(paravirt_get_lazy_mode() & mode) == 0`); `xen_mc_issue(0)` always flushes.
    mutating func xenMCIssue(cpu: Int, mode: LazyMode) {
        guard cpus.indices.contains(cpu) else { return }
        if cpus[cpu].lazyMode.rawValue & mode.rawValue == 0 { xenMCFlush(cpu: cpu) }
    }

    /// A direct `HYPERVISOR_*` call (not batched), logged.
    mutating func directHypercall(cpu: Int, _ call: Hypercall) -> HypercallResult {
        drainInFlight(cpu: cpu)
        let r = xen.hypercall(call, vcpu: cpu)
        issued.append(.hypercall(vcpu: cpu, call, r))
        return r
    }

    /// A plain store by the kernel into slot `slot` of page `pfn` through its direct map on
    /// `cpu` (`*ptr = val`). Xen sees it only if the mapping is read-only: an L1 page is then
    /// emulated (writable-pagetable assist), anything else faults. Returns the outcome.
    @discardableResult
    mutating func plainStore(cpu: Int, pfn: Int, slot: Int, _ val: PTE) -> Result<XenState.StoreOutcome, XenError> {
        drainInFlight(cpu: cpu)
        let va = directMapVA(pfn)
        let r = xen.guestStore(vcpu: cpu, va: va, slot: slot, val: val)
        switch r {
        case .success(let o): issued.append(.store(vcpu: cpu, va: va, slot: slot, val: val, outcome: o, error: nil))
        case .failure(let e): issued.append(.store(vcpu: cpu, va: va, slot: slot, val: val, outcome: nil, error: e))
        }
        return r
    }
}

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

    /// The argument bytes a queued call occupies.
    static func argSize(_ call: Hypercall) -> Int {
        switch call {
        case .mmuUpdate(let rs): rs.count * mmuUpdateSize
        case .mmuextOp(let ops): ops.count * mmuextOpSize
        case .updateVAMapping: 0
        }
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
    mutating func xenMCFlush(cpu: Int) {
        guard cpus.indices.contains(cpu) else { return }
        let b = cpus[cpu].mc
        cpus[cpu].mc = MulticallBuffer()
        if !b.entries.isEmpty {
            let results = HypercallBatch.multicall(b.entries) { call in xen.hypercall(call, vcpu: cpu) }
            issued.append(.multicall(vcpu: cpu, b.entries, results))
            for cb in b.callbacks { run(cb, cpu: cpu) }
            if let i = results.firstIndex(where: { !$0.succeeded }) {
                BUG("xen_mc_flush on cpu \(cpu): multicall entry \(i) \(b.entries[i]) failed: \(results[i])")
            }
        } else {
            for cb in b.callbacks { run(cb, cpu: cpu) }
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
    /// the buffer has no room (`mcidx == MC_BATCH || argidx + args > MC_ARGS`).
    mutating func xenMCEntry(cpu: Int, _ call: Hypercall) {
        guard cpus.indices.contains(cpu) else { return }
        let size = MulticallBuffer.argSize(call)
        if cpus[cpu].mc.entries.count == config.multicallBatch || cpus[cpu].mc.argBytes + size > MulticallBuffer.argsBytes(batch: config.multicallBatch) {
            xenMCFlush(cpu: cpu)
        }
        cpus[cpu].mc.entries.append(call)
        cpus[cpu].mc.argBytes += size
    }

    /// `extend_mmu_update(u)`: `xen_mc_extend_args(__HYPERVISOR_mmu_update, sizeof(*u))` appends
    /// the request to the last queued entry when that entry is an `mmu_update` and the argument
    /// space has room (the call's count grows); otherwise a new one-request `mmu_update` entry
    /// is queued (`__xen_mc_entry` + `MULTI_mmu_update`).
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
        let r = xen.hypercall(call, vcpu: cpu)
        issued.append(.hypercall(vcpu: cpu, call, r))
        return r
    }

    /// A plain store by the kernel into slot `slot` of page `pfn` through its direct map on
    /// `cpu` (`*ptr = val`). Xen sees it only if the mapping is read-only: an L1 page is then
    /// emulated (writable-pagetable assist), anything else faults. Returns the outcome.
    @discardableResult
    mutating func plainStore(cpu: Int, pfn: Int, slot: Int, _ val: PTE) -> Result<XenState.StoreOutcome, XenError> {
        let va = directMapVA(pfn)
        let r = xen.guestStore(vcpu: cpu, va: va, slot: slot, val: val)
        switch r {
        case .success(let o): issued.append(.store(vcpu: cpu, va: va, slot: slot, val: val, outcome: o, error: nil))
        case .failure(let e): issued.append(.store(vcpu: cpu, va: va, slot: slot, val: val, outcome: nil, error: e))
        }
        return r
    }
}

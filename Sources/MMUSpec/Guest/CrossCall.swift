/// Cross-CPU calls (`smp_call_function_mask(mask, func, info, wait=1)`, which the seed's
/// `drop_mm_ref` uses to run `drop_other_mm_ref` on other CPUs) as state: the sender queues one
/// call per target and spins until each has run it; a target runs it only when it has
/// interrupts on: not inside a context switch (`PARAVIRT_LAZY_CPU`, where `context_switch` runs
/// with interrupts off) and not inside a multicall (`xen_mc_flush` disables them around the
/// hypercall). A CPU spinning for its own calls still takes them (Linux requires interrupts on
/// around `smp_call_function_mask`).

/// One cross call waiting on its target: `drop_other_mm_ref(mm)` sent by `from`.
public struct PendingIPI: Hashable, Sendable, Codable, CustomStringConvertible {
    public var from: Int
    public var mm: Int
    public init(from: Int, mm: Int) { self.from = from; self.mm = mm }
    public var description: String { "drop_other_mm_ref(mm \(mm)) from cpu \(from)" }
}

/// Where an operation goes on after waiting for its cross calls.
public enum GuestContinuation: Hashable, Sendable, Codable, CustomStringConvertible {
    /// `xen_exit_mmap` after `drop_mm_ref` returned: unpin the pgd under the page-table lock.
    case exitMmapUnpin(mm: Int)

    public var description: String {
        switch self {
        case .exitMmapUnpin(let mm): "exit-mmap-unpin(mm \(mm))"
        }
    }
}

extension GuestState {
    /// `smp_call_function_mask(targets, drop_other_mm_ref, mm, 1)` from `cpu` (the caller is
    /// never a target): queue the call on each target; the caller waits for all of them.
    mutating func sendDropOtherMMRef(from cpu: Int, to targets: [Int], mm: Int) {
        for t in targets where t != cpu && cpus.indices.contains(t) {
            cpus[t].pendingIPIs.append(PendingIPI(from: cpu, mm: mm))
            cpus[cpu].awaiting.insert(t)
        }
    }

    /// Whether `cpu` can take a cross call now: interrupts on.
    func takesInterrupts(_ cpu: Int) -> Bool {
        cpus.indices.contains(cpu) && cpus[cpu].lazyMode != .cpu && cpus[cpu].inFlight.isEmpty
    }

    /// Deliver `cpu`'s oldest cross call: its handler runs to the end (its own multicalls
    /// complete inside it), and the sender stops waiting for this CPU.
    mutating func deliverIPI(cpu: Int) {
        guard cpus.indices.contains(cpu), let ipi = cpus[cpu].pendingIPIs.first else { return }
        cpus[cpu].pendingIPIs.removeFirst()
        dropOtherMMRef(cpu: cpu, mm: ipi.mm)
        drainInFlight(cpu: cpu)
        if cpus.indices.contains(ipi.from), !cpus[cpu].pendingIPIs.contains(where: { $0.from == ipi.from }) {
            cpus[ipi.from].awaiting.remove(cpu)
            releaseFinishedLocks(cpu: ipi.from)
        }
    }
}

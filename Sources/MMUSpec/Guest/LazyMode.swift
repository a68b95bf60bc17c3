/// Lazy modes (`arch/x86/kernel/paravirt.c`, Xen's `xen_enter_lazy` / `xen_leave_lazy`):
/// while a CPU is lazy, hypercalls that `xen_mc_issue(mode)` would issue stay queued in its
/// multicall buffer until the mode ends.

/// `enum paravirt_lazy_mode` (values as in the kernel, used as a bit mask by `xen_mc_issue`).
public enum LazyMode: Int, Hashable, Sendable, Codable, CustomStringConvertible {
    /// `PARAVIRT_LAZY_NONE`.
    case none = 0
    /// `PARAVIRT_LAZY_MMU`: page-table updates batched (`arch_enter_lazy_mmu_mode`).
    case mmu = 1
    /// `PARAVIRT_LAZY_CPU`: a context switch in progress (`arch_enter_lazy_cpu_mode`);
    /// `load_cr3` batched.
    case cpu = 2

    public var description: String {
        switch self {
        case .none: "PARAVIRT_LAZY_NONE"
        case .mmu: "PARAVIRT_LAZY_MMU"
        case .cpu: "PARAVIRT_LAZY_CPU"
        }
    }
}

extension GuestState {
    /// `paravirt_get_lazy_mode()` on `cpu` (`.none` for a CPU that does not exist).
    public func paravirtGetLazyMode(cpu: Int) -> LazyMode {
        cpus.indices.contains(cpu) ? cpus[cpu].lazyMode : .none
    }

    /// `paravirt_enter_lazy(mode)`: `BUG_ON(paravirt_lazy_mode != PARAVIRT_LAZY_NONE)`.
    mutating func paravirtEnterLazy(cpu: Int, _ mode: LazyMode) {
        guard cpus.indices.contains(cpu) else { return }
        if cpus[cpu].lazyMode != .none {
            BUG("paravirt_enter_lazy(\(mode)) on cpu \(cpu): already in \(cpus[cpu].lazyMode)")
            return
        }
        cpus[cpu].lazyMode = mode
    }

    /// `xen_leave_lazy()`: `paravirt_leave_lazy(mode)` (`BUG_ON(paravirt_lazy_mode != mode)`,
    /// back to NONE) then `xen_mc_flush()`.
    mutating func xenLeaveLazy(cpu: Int, _ mode: LazyMode) {
        guard cpus.indices.contains(cpu) else { return }
        if cpus[cpu].lazyMode != mode {
            BUG("paravirt_leave_lazy(\(mode)) on cpu \(cpu): in \(cpus[cpu].lazyMode)")
            return
        }
        cpus[cpu].lazyMode = .none
        xenMCFlush(cpu: cpu)
    }

    /// `arch_enter_lazy_mmu_mode()`.
    mutating func archEnterLazyMMUMode(cpu: Int) { paravirtEnterLazy(cpu: cpu, .mmu) }
    /// `arch_leave_lazy_mmu_mode()`: issues the batch.
    mutating func archLeaveLazyMMUMode(cpu: Int) { xenLeaveLazy(cpu: cpu, .mmu) }
    /// `arch_enter_lazy_cpu_mode()` (start of `context_switch`).
    mutating func archEnterLazyCPUMode(cpu: Int) { paravirtEnterLazy(cpu: cpu, .cpu) }
    /// `arch_leave_lazy_cpu_mode()` (in `__switch_to`): issues the batch.
    mutating func archLeaveLazyCPUMode(cpu: Int) { xenLeaveLazy(cpu: cpu, .cpu) }

    /// `arch_flush_lazy_cpu_mode()`: if the CPU is in lazy CPU mode, leave it (issuing the
    /// batch) and enter it again.
    mutating func archFlushLazyCPUMode(cpu: Int) {
        guard paravirtGetLazyMode(cpu: cpu) == .cpu else { return }
        archLeaveLazyCPUMode(cpu: cpu)
        archEnterLazyCPUMode(cpu: cpu)
    }
}

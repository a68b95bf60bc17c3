import Foundation
import MMUFast
import MMUSpec

/// What a hypervisor spec will cost before anything is allocated: the adversary's action
/// list (every operation with every argument, built once per run and tried in every state)
/// grows with the product of the sizes and the entry values, and a valid-looking spec can
/// ask for billions of actions. The loader refuses (exit 2) what would not fit, naming the
/// keys that drive it.
public enum CostEstimate {
    /// Actions past this are refused whatever the memory: every state would try them all.
    public static let maxActions = 1_000_000

    /// Bytes one listed action costs: the spec's action and the fast engine's compiled op.
    static let bytesPerAction = MemoryLayout<XenAction>.stride + MemoryLayout<FastOp>.stride

    /// `1,234,567`: digits in groups of three, the same in every locale.
    static func grouped(_ n: Int) -> String {
        let d = Array(String(n))
        return String(d.enumerated().flatMap { i, c in (i > 0 && (d.count - i) % 3 == 0) ? [",", c] : [c] })
    }

    /// How many actions the explorer lists for `spec` (hypervisor level; saturating).
    public static func hypervisorActions(_ spec: CheckSpec) -> Int {
        let config = spec.config
        let values = 1 + max(0, config.machineFrames).multipliedReportingOverflow(by: Set(spec.entryFlags).count).partialValue
        let names = spec.operations.map(Set.init)
        var total = 0
        for op in XenOperation.allCases where op.offered(config) && (names?.contains(op.name) ?? true) {
            var n = op.perVCPU ? max(0, config.vcpus) : 1
            for a in op.arguments {
                let size: Int
                switch a {
                case .value: size = values
                case .va: size = max(0, config.virtualPages)
                default: size = a.domain(config, values: values).count
                }
                let (m, o) = n.multipliedReportingOverflow(by: size)
                n = o ? Int.max : m
            }
            let (s, o) = total.addingReportingOverflow(n)
            total = o ? Int.max : s
        }
        return total
    }

    /// Why `spec` cannot run within `ceiling` bytes (nil: it can, as far as the action list
    /// goes; the states are bounded by the explorer's memory poll).
    public static func problem(_ spec: CheckSpec, ceiling: UInt64) -> String? {
        guard spec.level == .hypervisor else { return nil }
        let n = hypervisorActions(spec)
        let bytes = UInt64(min(n, Int.max / bytesPerAction)) * UInt64(bytesPerAction)
        guard n > maxActions || bytes > ceiling / 2 else { return nil }
        let c = spec.config
        let why = n > maxActions ? "more than the \(grouped(maxActions)) any run can try in every state"
            : "about \(bytes / 1_048_576) MiB, more than half the memory ceiling of \(ceiling / 1_048_576) MiB"
        return "the adversary would list \(n == Int.max ? "more than 2^63" : grouped(n)) actions (\(why)): they grow with "
            + "sizes.machine-frames (\(c.machineFrames)) x sizes.entries-per-table (\(c.entriesPerTable)) x the entry values "
            + "(1 + machine-frames x \(Set(spec.entryFlags).count) entry-flags sets), and for update-va-mapping and guest-store with "
            + "the address space (entries-per-table^levels = \(c.virtualPages) pages) x sizes.vcpus (\(c.vcpus)); "
            + "shrink one, or leave operations out (operations-except)"
    }
}

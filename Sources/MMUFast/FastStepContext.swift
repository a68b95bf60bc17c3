import MMUSpec

/// What the guest stores and `update_va_mapping`s of one state have in common, worked out
/// once per state: where a store to each virtual page lands, and which L1 table
/// `update_va_mapping` of each page changes. The explorer tries every (page, slot, value)
/// of both from every state, and each one walked the same page tables again.
///
/// Holds at most 16 (vCPU, page) pairs; past that `isEmpty` and `step` walks as before.
/// Small on purpose, and borrowed by `step`: passed by value for every action, a context of
/// 129 bytes (32 pairs of 16-bit fields) made the 4-frame run a quarter slower than one of
/// 97 bytes (32 pairs, 8-bit L1 fields, which cannot name frames past 127).
public struct FastStepContext: Sendable {
    static let capacity = 16
    /// No context: `step` walks the tables itself.
    public static let unused = FastStepContext(isEmpty: true)
    /// [vcpu * pages + page]: the frame a guest store writes, plus `emulatedBit` when Xen
    /// emulates it as an L1 update (`StoreKind`); -1 when it faults.
    var store = InlineArray<16, Int16>(repeating: -1)
    static let emulatedBit: Int = 0x100
    static let frameBits: Int = 0xFF
    /// [vcpu * pages + page]: the L1 table `update_va_mapping` changes; -1 when it fails.
    var vaMapping = InlineArray<16, Int16>(repeating: -1)
    public let isEmpty: Bool
}

extension FastXen {
    /// The step context of `s` (see `FastStepContext`).
    public func stepContext(_ s: FastXenState) -> FastStepContext {
        guard vcpuCount &* pages <= FastStepContext.capacity else { return FastStepContext(isEmpty: true) }
        var c = FastStepContext(isEmpty: false)
        for v in 0..<vcpuCount {
            let root = cr3(s, v)
            guard root >= 0 else { continue }   // no tables: every store and update faults
            for page in 0..<pages {
                let i = v &* pages &+ page
                let (l1, upperRW) = walkToL1(s, root: root, page: page)
                guard l1 >= 0 else { continue }
                if isGuestL1(s, l1) { c.vaMapping[i] = Int16(truncatingIfNeeded: l1) }
                if case .success(let (frame, kind)) = storeTarget(s, l1: l1, upperRW: upperRW, page: page) {
                    switch kind {
                    case .plainWrite: c.store[i] = Int16(truncatingIfNeeded: frame)
                    case .emulated: c.store[i] = Int16(truncatingIfNeeded: frame | FastStepContext.emulatedBit)
                    }
                }
            }
        }
        return c
    }
}

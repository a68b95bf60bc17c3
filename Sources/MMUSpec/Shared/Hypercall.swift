/// The hypercall vocabulary shared by the spec and any implementation held to it.
///
/// These are the guest-to-Xen requests of `xen/include/public/xen.h` that the
/// seed uses, with the model's small arguments. The guest side (the seed)
/// builds them; the hypervisor side (Xen's rules) answers them.

/// The machine address of one entry: frame `mfn`, slot `slot`
/// (`mfn << PAGE_SHIFT | slot * sizeof(pte)` in the real interface).
public struct EntryRef: Hashable, Sendable, Codable, CustomStringConvertible {
    public var mfn: Int
    public var slot: Int
    public init(mfn: Int, slot: Int) { self.mfn = mfn; self.slot = slot }
    public var description: String { "\(mfn)[\(slot)]" }
}

/// One request of an `mmu_update` hypercall.
public enum MMUUpdateRequest: Hashable, Sendable, Codable {
    /// `MMU_NORMAL_PT_UPDATE`: write `val` to the entry at `ptr`, validated for its level.
    case normal(ptr: EntryRef, val: PTE)
    /// `MMU_PT_UPDATE_PRESERVE_AD`: as `normal`, but the old Accessed/Dirty bits are kept.
    case preserveAD(ptr: EntryRef, val: PTE)
    /// `MMU_MACHPHYS_UPDATE`: `m2p[mfn] = pfn`.
    case machphys(mfn: Int, pfn: Int)
}

/// One request of an `mmuext_op` hypercall.
public enum MMUExtOp: Hashable, Sendable, Codable {
    /// `MMUEXT_PIN_L1_TABLE` .. `MMUEXT_PIN_L4_TABLE`.
    case pin(level: Int, mfn: Int)
    /// `MMUEXT_UNPIN_TABLE`.
    case unpin(mfn: Int)
    /// `MMUEXT_NEW_BASEPTR`: load `mfn` as this vCPU's root (cr3).
    case newBaseptr(mfn: Int)
    /// `MMUEXT_TLB_FLUSH_LOCAL` (the model has no TLB: a no-op that always succeeds).
    case tlbFlush
}

/// `UVMF_*` flags of `update_va_mapping`: the flush type (`UVMF_FLUSHTYPE_MASK`) and which
/// vCPUs it concerns (`UVMF_LOCAL` = 0, `UVMF_ALL` = 4; `UVMF_MULTI` with a vCPU mask is not
/// modelled). The model has no TLB, so no flag changes a result; they exist so that scenarios
/// and traces can say what the seed and XTF's tests pass.
public enum UVMFFlush: Int, Hashable, Sendable, Codable, CaseIterable {
    case none = 0
    case tlbFlush = 1      // UVMF_TLB_FLUSH
    case invlpg = 2        // UVMF_INVLPG
    case all = 4           // UVMF_ALL with no flush type: nothing is flushed
    case tlbFlushAll = 5   // UVMF_TLB_FLUSH | UVMF_ALL
    case invlpgAll = 6     // UVMF_INVLPG | UVMF_ALL
}

extension UVMFFlush: CustomStringConvertible {
    /// Xen's name of the flag (`UVMF_NONE` for none), as messages and traces print it.
    public var description: String {
        switch self {
        case .none: "UVMF_NONE"
        case .tlbFlush: "UVMF_TLB_FLUSH"
        case .invlpg: "UVMF_INVLPG"
        case .all: "UVMF_ALL"
        case .tlbFlushAll: "UVMF_TLB_FLUSH|UVMF_ALL"
        case .invlpgAll: "UVMF_INVLPG|UVMF_ALL"
        }
    }
}

/// One hypercall as the guest issues it.
public enum Hypercall: Hashable, Sendable, Codable {
    /// `HYPERVISOR_mmu_update`: requests applied in order; stops at the first failure.
    case mmuUpdate([MMUUpdateRequest])
    /// `HYPERVISOR_update_va_mapping(va, pte, flags)`: rewrite the L1 entry that maps `va`
    /// through the calling vCPU's current page tables.
    case updateVAMapping(va: Int, val: PTE, flush: UVMFFlush)
    /// `HYPERVISOR_mmuext_op`: requests applied in order; stops at the first failure.
    case mmuextOp([MMUExtOp])
}

/// Xen's error codes, as negative errno values in the real interface.
public enum XenError: Int, Error, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case eperm = 1      // EPERM: an L1 entry to a frame that is not RAM (no I/O-memory permission)
    case enoent = 2     // ENOENT
    case efault = 14    // EFAULT: no mapping / a fault the guest did not handle
    case ebusy = 16     // EBUSY: writable mapping of a page-table frame (today's Xen)
    case einval = 22    // EINVAL: validation failure, pin of a pinned frame, unpin of an unpinned one

    public var description: String {
        switch self {
        case .eperm: "-EPERM"
        case .enoent: "-ENOENT"
        case .efault: "-EFAULT"
        case .ebusy: "-EBUSY"
        case .einval: "-EINVAL"
        }
    }
}

/// What a hypercall returned: how many requests were done, and the error of the
/// first failing one (`nil` when all succeeded). A rejected request changes nothing;
/// the requests before it stay applied.
public struct HypercallResult: Hashable, Sendable, Codable, CustomStringConvertible {
    public var done: Int
    public var error: XenError?
    public init(done: Int, error: XenError?) { self.done = done; self.error = error }
    public var succeeded: Bool { error == nil }
    public var description: String { error.map { "\($0) after \(done)" } ?? "ok(\(done))" }
}

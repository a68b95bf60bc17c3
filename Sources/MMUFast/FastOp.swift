import MMUSpec

/// One single-request action, compiled to small integers for the explorer's inner loop
/// (`FastXen.step`). `kind` is the operation of `XenOperation`'s table, so a new operation
/// does not compile until the fast engine's step handles it.
public struct FastOp: Hashable, Sendable {
    public var kind: XenOperation
    public var vcpu: UInt8 = 0
    /// mfn (mmu-update pointer, machphys, pin, unpin, new-baseptr).
    public var mfn: UInt8 = 0
    public var slot: UInt8 = 0
    /// Entry value index (`FastXen.values`).
    public var value: UInt8 = 0
    /// Pin level.
    public var level: UInt8 = 0
    /// machphys: the pfn written to the m2p.
    public var pfn: UInt8 = 0
    /// Virtual page (update-va-mapping, guest-store).
    public var page: UInt16 = 0
    /// Position of the action in the model's action list (ties the op to its `XenAction`).
    public var index: UInt32 = 0
}

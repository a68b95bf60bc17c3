/// The packed hypervisor state of the fast engine: 64 bytes inline, no heap.
///
/// Why bytes in eight words: a successor is a 64-byte copy and a few byte stores, hashing
/// and comparing are eight word operations, and the explorer's queue holds states without
/// a single allocation. Which byte holds what is decided per configuration by `FastLayout`
/// (entries as indices into a value table, per-frame type/flags byte, stored type and
/// general counts, m2p, cr3s); configurations that need more than 64 bytes are refused by
/// `FastXen.init` and run on the spec engine.
public struct FastXenState: Hashable, Sendable, Comparable {
    var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
    var w4: UInt64 = 0, w5: UInt64 = 0, w6: UInt64 = 0, w7: UInt64 = 0

    /// Bytes available for a layout.
    public static let capacity = 64

    /// The all-zero state: every frame untyped, unpinned, zero entries; no cr3; m2p invalid.
    public init() {}

    /// Byte `i` (0 ..< 64).
    @inline(__always)
    subscript(_ i: Int) -> UInt8 {
        get { withUnsafeBytes(of: self) { $0[i] } }
        set { withUnsafeMutableBytes(of: &self) { $0[i] = newValue } }
    }

    /// Word `i` (0 ..< 8).
    @inline(__always)
    func word(_ i: Int) -> UInt64 {
        withUnsafeBytes(of: self) { $0.load(fromByteOffset: i &* 8, as: UInt64.self) }
    }

    /// A total order (word by word), used to pick the representative of a symmetry class.
    public static func < (a: FastXenState, b: FastXenState) -> Bool {
        if a.w0 != b.w0 { return a.w0 < b.w0 }
        if a.w1 != b.w1 { return a.w1 < b.w1 }
        if a.w2 != b.w2 { return a.w2 < b.w2 }
        if a.w3 != b.w3 { return a.w3 < b.w3 }
        if a.w4 != b.w4 { return a.w4 < b.w4 }
        if a.w5 != b.w5 { return a.w5 < b.w5 }
        if a.w6 != b.w6 { return a.w6 < b.w6 }
        return a.w7 < b.w7
    }
}

/// The packed hypervisor state of the fast engine: 64 bytes inline, no heap.
///
/// Why bytes in eight words: a successor is a 64-byte copy and a few byte stores, hashing
/// and comparing are eight word operations, and the explorer's queue holds states without
/// a single allocation. Which byte holds what is decided per configuration by `FastXen`
/// (entries as indices into a value table, per-frame type/flags byte, stored type and
/// general counts, m2p, cr3s); configurations that need more than 64 bytes are refused by
/// `FastXen.init` and run on the spec engine.
public struct FastXenState: Hashable, Sendable, Comparable {
    var words: InlineArray<8, UInt64> = InlineArray(repeating: 0)

    /// Bytes available for a layout.
    public static let capacity = 64

    /// The all-zero state: every frame untyped, unpinned, zero entries; no cr3; m2p invalid.
    public init() {}

    /// Byte `i` (0 ..< 64), little-endian within its word.
    @inline(__always)
    subscript(_ i: Int) -> UInt8 {
        get { UInt8(truncatingIfNeeded: words[i &>> 3] &>> UInt64((i & 7) &<< 3)) }
        set {
            let shift = UInt64((i & 7) &<< 3)
            words[i &>> 3] = (words[i &>> 3] & ~(0xFF &<< shift)) | (UInt64(newValue) &<< shift)
        }
    }

    /// Word `i` (0 ..< 8).
    @inline(__always)
    func word(_ i: Int) -> UInt64 { words[i] }

    public static func == (a: FastXenState, b: FastXenState) -> Bool {
        // Branch-free: the explorer compares every successor with its parent.
        var d: UInt64 = 0
        for i in 0..<8 { d |= a.words[i] ^ b.words[i] }
        return d == 0
    }

    public func hash(into h: inout Hasher) {
        for i in 0..<8 { h.combine(words[i]) }
    }

    /// A total order (word by word), used to pick the representative of a symmetry class.
    public static func < (a: FastXenState, b: FastXenState) -> Bool {
        for i in 0..<8 where a.words[i] != b.words[i] { return a.words[i] < b.words[i] }
        return false
    }
}

import CSupport

/// An open-addressing set of 64-bit fingerprints: 8 bytes a slot and nothing
/// else, kept between 60% and 90% full (it grows by half when 90% full), so
/// the visited set costs 8.9 to 13.3 bytes per distinct state. 0 marks an empty
/// slot; a fingerprint of 0 is stored as 1 (merging the two, a collision like
/// any other, counted in the collision estimate).
/// The slots are `ZeroedMemory` (huge pages).
final class FingerprintTable {
    private var keys: UnsafeMutableBufferPointer<UInt64>
    private(set) var count = 0

    init(capacity: Int = 1 << 12) {
        keys = ZeroedMemory.allocate(max(16, capacity))
    }

    deinit { ZeroedMemory.release(keys) }

    var bytes: Int { keys.count * MemoryLayout<UInt64>.size }

    /// The memory the next growth will take on top of today's, once the table is within a
    /// few percent of growing (0 before): the new keys, allocated while the old are live. The
    /// explorer counts it against the memory ceiling before the growth, not after.
    var growthBytesSoon: Int { count * 10 > keys.count * 8 ? (keys.count + keys.count / 2) * MemoryLayout<UInt64>.size : 0 }

    /// Inserts `fp`; returns false when it was already present.
    func insert(_ fp: UInt64) -> Bool {
        if (count + 1) * 10 > keys.count * 9 { grow() }
        if FingerprintTable.insert(fp, into: keys) { count += 1; return true }
        return false
    }

    private static func insert(_ fp: UInt64, into k: UnsafeMutableBufferPointer<UInt64>) -> Bool {
        let key = fp == 0 ? 1 : fp
        let n = k.count
        // Map the hash onto 0..<n without a power-of-two size (multiply-shift).
        var i = Int(truncatingIfNeeded: key.multipliedFullWidth(by: UInt64(n)).high)
        while true {
            let x = k[i]
            // Atomic: workers may be reading the table (`contains(_:in:)`) during a merge.
            if x == 0 { mmucheck_store_relaxed(k.baseAddress! + i, key); return true }
            if x == key { return false }
            i += 1
            if i == n { i = 0 }
        }
    }

    /// Makes room for `additional` more fingerprints, so that inserting them does not move
    /// the slots (a read-only view stays valid).
    func reserve(additional: Int) {
        while (count + additional) * 10 > keys.count * 9 { grow() }
    }

    /// Calls `body` with a read-only view of the table for lookups from other threads
    /// (`contains(_:in:)`). Inserts may run while the view is used (its answers are then
    /// "present" or "maybe absent"), but the table must not grow (`reserve`).
    func withReadOnlyView<R>(_ body: (UnsafeBufferPointer<UInt64>) -> R) -> R {
        body(UnsafeBufferPointer(keys))
    }

    /// Is `fp` in the table whose slots are `k` (a read-only view)?
    static func contains(_ fp: UInt64, in k: UnsafeBufferPointer<UInt64>) -> Bool {
        let key = fp == 0 ? 1 : fp
        let n = k.count
        var i = Int(truncatingIfNeeded: key.multipliedFullWidth(by: UInt64(n)).high)
        while true {
            // A slot the merge is filling reads as empty or as its key: either answer is safe.
            let x = mmucheck_load_relaxed(k.baseAddress! + i)
            if x == 0 { return false }
            if x == key { return true }
            i += 1
            if i == n { i = 0 }
        }
    }

    /// Asks for the cache line of the slot where `fp` starts probing in the table whose
    /// slots are `k`, without waiting for it: a later `insert` or `contains` of `fp` finds it
    /// in cache, and the misses of a state's successors overlap with computing them.
    @inline(__always)
    static func prefetch(_ fp: UInt64, in k: UnsafeBufferPointer<UInt64>) {
        let key = fp == 0 ? 1 : fp
        mmucheck_prefetch(k.baseAddress! + Int(truncatingIfNeeded: key.multipliedFullWidth(by: UInt64(k.count)).high))
    }

    /// `prefetch` on this table.
    @inline(__always)
    func prefetch(_ fp: UInt64) { FingerprintTable.prefetch(fp, in: UnsafeBufferPointer(keys)) }

    private func grow() {
        let old = keys
        keys = ZeroedMemory.allocate(old.count + old.count / 2)
        for k in old where k != 0 { _ = FingerprintTable.insert(k, into: keys) }
        ZeroedMemory.release(old)
    }
}

/// An open-addressing set of 64-bit fingerprints: 8 bytes a slot and nothing
/// else, kept between 60% and 90% full (it grows by half when 90% full), so
/// the visited set costs 8.9 to 13.3 bytes per distinct state. 0 marks an empty
/// slot; a fingerprint of 0 is stored as 1 (merging the two, a collision like
/// any other, counted in the collision estimate).
struct FingerprintTable {
    private var keys: [UInt64]
    private(set) var count = 0

    init(capacity: Int = 1 << 12) {
        keys = Array(repeating: 0, count: max(16, capacity))
    }

    var bytes: Int { keys.count * MemoryLayout<UInt64>.size }

    /// Inserts `fp`; returns false when it was already present.
    mutating func insert(_ fp: UInt64) -> Bool {
        if (count + 1) * 10 > keys.count * 9 { grow() }
        let key = fp == 0 ? 1 : fp
        let n = keys.count
        // Map the hash onto 0..<n without a power-of-two size (multiply-shift).
        var i = Int(truncatingIfNeeded: key.multipliedFullWidth(by: UInt64(n)).high)
        return keys.withUnsafeMutableBufferPointer { k in
            while true {
                let x = k[i]
                if x == 0 { k[i] = key; return true }
                if x == key { return false }
                i += 1
                if i == n { i = 0 }
            }
        }.onTrue { count += 1 }
    }

    /// Calls `body` with a read-only view of the table for lookups from other threads
    /// (`contains(_:in:)`); the table must not change while `body` runs.
    func withReadOnlyView<R>(_ body: (UnsafeBufferPointer<UInt64>) -> R) -> R {
        keys.withUnsafeBufferPointer(body)
    }

    /// Is `fp` in the table whose slots are `k` (a read-only view)?
    static func contains(_ fp: UInt64, in k: UnsafeBufferPointer<UInt64>) -> Bool {
        let key = fp == 0 ? 1 : fp
        let n = k.count
        var i = Int(truncatingIfNeeded: key.multipliedFullWidth(by: UInt64(n)).high)
        while true {
            let x = k[i]
            if x == 0 { return false }
            if x == key { return true }
            i += 1
            if i == n { i = 0 }
        }
    }

    /// Reads the slot where `fp` would start probing, so that a batch of lookups issued
    /// first (independent loads the CPU overlaps) finds the slots in cache when
    /// `insert` follows. The value read means nothing; callers fold it into a sink.
    @inline(__always)
    func touch(_ fp: UInt64) -> UInt64 {
        let key = fp == 0 ? 1 : fp
        let i = Int(truncatingIfNeeded: key.multipliedFullWidth(by: UInt64(keys.count)).high)
        return keys.withUnsafeBufferPointer { $0[i] }
    }

    private mutating func grow() {
        let old = keys
        keys = Array(repeating: 0, count: old.count + old.count / 2)
        count = 0
        for k in old where k != 0 { _ = insert(k) }
    }
}

private extension Bool {
    func onTrue(_ f: () -> Void) -> Bool { if self { f() }; return self }
}

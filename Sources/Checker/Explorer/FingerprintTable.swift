/// An open-addressing set of 64-bit fingerprints mapping each to its discovery
/// index. Stores 12 bytes per slot (fingerprint + index); 0 marks an empty slot
/// (a fingerprint of 0 is stored as 1, merging the two: counted in the
/// collision estimate like any other).
struct FingerprintTable {
    private var keys: [UInt64]
    private var values: [UInt32]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1 << 16) {
        var c = 16
        while c < capacity { c <<= 1 }
        keys = Array(repeating: 0, count: c)
        values = Array(repeating: 0, count: c)
        mask = c - 1
    }

    var bytes: Int { keys.count * (MemoryLayout<UInt64>.size + MemoryLayout<UInt32>.size) }

    /// Inserts `fp` with `index` unless present; returns the existing index if present.
    mutating func insert(_ fp: UInt64, index: UInt32) -> UInt32? {
        if (count + 1) * 10 > keys.count * 9 { grow() }
        let key = fp == 0 ? 1 : fp
        var i = Int(truncatingIfNeeded: key >> 7) & mask
        while true {
            let k = keys[i]
            if k == 0 {
                keys[i] = key
                values[i] = index
                count += 1
                return nil
            }
            if k == key { return values[i] }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = Array(repeating: 0, count: oldKeys.count * 2)
        values = Array(repeating: 0, count: oldKeys.count * 2)
        mask = keys.count - 1
        count = 0
        for (k, v) in zip(oldKeys, oldValues) where k != 0 { _ = insert(k, index: v) }
    }
}

/// The lookup tables the symmetry fingerprint reads for every successor, copied into raw
/// memory: its loops index them without bounds checks or array retains. Every table has a
/// row for each of the 256 byte values an entry can hold, so any packed state indexes
/// inside them.
final class FastTables: @unchecked Sendable {
    /// [value]: `FastXen.vInfo` (the frame a present value names, 0xFF when none, and the
    /// value's rename-invariant shape above bit 8).
    let vInfo: UnsafeMutablePointer<UInt32>
    /// [value * frames + frame]: `FastXen.renameTo`.
    let renameTo: UnsafeMutablePointer<UInt8>
    /// [k * entries + new]: `FastXen.slotInverse`.
    let slotInverse: UnsafeMutablePointer<UInt8>

    init(vInfo: [UInt32], renameTo: [UInt8], frames: Int, slotInverse: [UInt8]) {
        self.vInfo = UnsafeMutablePointer.allocate(capacity: 256)
        self.vInfo.initialize(repeating: 0xFF, count: 256)
        for (i, x) in vInfo.enumerated() where i < 256 { self.vInfo[i] = x }
        self.renameTo = UnsafeMutablePointer.allocate(capacity: 256 * frames)
        for v in 0..<256 {
            for g in 0..<frames { self.renameTo[v * frames + g] = v < vInfo.count ? renameTo[v * frames + g] : UInt8(v) }
        }
        self.slotInverse = UnsafeMutablePointer.allocate(capacity: max(1, slotInverse.count))
        self.slotInverse.initialize(from: slotInverse, count: slotInverse.count)
    }

    deinit {
        vInfo.deallocate()
        renameTo.deallocate()
        slotInverse.deallocate()
    }
}

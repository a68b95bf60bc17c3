import Foundation

/// Large zeroed word arrays for the explorer's hash tables: anonymous mappings marked for
/// transparent huge pages. Every lookup lands on a random slot of a table of hundreds of
/// megabytes, and with 4 KiB pages most lookups would also miss the TLB; fresh mappings
/// read as zero, so a new table needs no clearing pass.
enum ZeroedMemory {
    static func allocate(_ n: Int) -> UnsafeMutableBufferPointer<UInt64> {
        let bytes = n * MemoryLayout<UInt64>.size
        guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
            // What a failed heap allocation would do too, but with the size named (use the
            // spec's `memory-mb` bound to stop a run before memory runs out).
            fatalError("mmucheck: out of memory: cannot map \(bytes) bytes for the explorer's tables")
        }
        _ = madvise(p, bytes, 14 /* MADV_HUGEPAGE; a hint, ignored where unsupported */)
        return UnsafeMutableBufferPointer(start: p.assumingMemoryBound(to: UInt64.self), count: n)
    }

    static func release(_ k: UnsafeMutableBufferPointer<UInt64>) {
        munmap(k.baseAddress, k.count * MemoryLayout<UInt64>.size)
    }
}

import Foundation

/// Large zeroed word arrays for the explorer's hash tables: anonymous mappings marked for
/// transparent huge pages. Every lookup lands on a random slot of a table of hundreds of
/// megabytes, and with 4 KiB pages most lookups would also miss the TLB; fresh mappings
/// read as zero, so a new table needs no clearing pass. Falls back to the heap when the
/// mapping is refused.
enum ZeroedMemory {
    static func allocate(_ n: Int) -> UnsafeMutableBufferPointer<UInt64> {
        let bytes = n * MemoryLayout<UInt64>.size
        let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        if let p, p != MAP_FAILED {
            _ = madvise(p, bytes, 14 /* MADV_HUGEPAGE; a hint, ignored where unsupported */)
            return UnsafeMutableBufferPointer(start: p.assumingMemoryBound(to: UInt64.self), count: n)
        }
        let heap = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: n)
        heap.initialize(repeating: 0)
        return heap
    }

    static func release(_ k: UnsafeMutableBufferPointer<UInt64>) {
        // munmap refuses a heap block (the fallback): free it instead.
        if munmap(k.baseAddress, k.count * MemoryLayout<UInt64>.size) != 0 { k.deallocate() }
    }
}

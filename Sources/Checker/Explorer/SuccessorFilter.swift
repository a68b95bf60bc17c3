/// Drops a state's successors that repeat an earlier successor of the same state, before
/// the explorer pays for their fingerprint and their visited-set lookup.
///
/// Why: in the hypervisor models about half of a state's successors repeat another one (a
/// guest store to a page table is emulated as the same update as `mmu-update`). The
/// explorer uses it where there is no seen-successor cache (no symmetry, or full states);
/// with the cache, a repeat finds its first occurrence's entry there. The first occurrence
/// (lowest action index) is kept, so the state's parent link, the counts and the traces are
/// exactly those of a run without the filter; the repeats are still counted as transitions.
///
/// A small open-addressing table of (hash, successor), cleared per state by a generation
/// stamp; equal hashes are confirmed by comparing the states themselves.
struct SuccessorFilter<State: Equatable> {
    private var states: [State] = []
    private var hashes: [UInt64]
    private var indices: [Int32]
    private var stamps: [UInt32]
    /// Slots stamped with it are in use; 0 never is (stamps start at 0: empty).
    private var generation: UInt32 = 1
    private var used = 0

    init(capacity: Int = 512) {
        var n = 16
        while n < capacity { n <<= 1 }
        hashes = Array(repeating: 0, count: n)
        indices = Array(repeating: 0, count: n)
        stamps = Array(repeating: 0, count: n)
    }

    /// Forgets every successor (call before each state's expansion).
    mutating func reset() {
        used = 0
        states.removeAll(keepingCapacity: true)
        generation &+= 1
        if generation == 0 {   // wrapped: old stamps could read as current
            for i in stamps.indices { stamps[i] = 0 }
            generation = 1
        }
    }

    /// True when `state` (whose `stateHash` is `hash`) is an earlier successor since the last
    /// `reset`; otherwise records it and returns false.
    mutating func isRepeat(_ state: State, hash: UInt64) -> Bool {
        if (used + 1) * 2 > stamps.count { grow() }
        let mask = stamps.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while stamps[i] == generation {
            if hashes[i] == hash && states[Int(indices[i])] == state { return true }
            i = (i + 1) & mask
        }
        stamps[i] = generation
        hashes[i] = hash
        indices[i] = Int32(truncatingIfNeeded: states.count)
        states.append(state)
        used += 1
        return false
    }

    private mutating func grow() {
        let live = stamps.indices.filter { stamps[$0] == generation }.map { (hashes[$0], indices[$0]) }
        let n = stamps.count * 2
        hashes = Array(repeating: 0, count: n)
        indices = Array(repeating: 0, count: n)
        stamps = Array(repeating: 0, count: n)
        let mask = n - 1
        for (h, k) in live {
            var i = Int(truncatingIfNeeded: h) & mask
            while stamps[i] == generation { i = (i + 1) & mask }
            stamps[i] = generation; hashes[i] = h; indices[i] = k
        }
    }
}

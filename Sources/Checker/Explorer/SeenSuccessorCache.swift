import CSupport

/// A lossy, direct-mapped cache of the `stateHash`es of successors whose canonical
/// fingerprint is already in the visited set (or is being put there by the batch under
/// way): a successor found here is visited without computing its canonical form.
///
/// Why: under symmetry the canonical fingerprint is the explorer's largest cost, and most
/// successors are states reached before from another parent *in the same form* (on the
/// first 6 M states of the 4-frame spec, a 2^25-slot cache found 2 of 3). It also
/// catches a state's repeated successors (a repeat finds its first occurrence's entry). A
/// missing entry only costs the fingerprint. An entry holds the whole 64-bit hash (the
/// slot number is its top bits, the entry the rest, shifted up, with a valid bit and the
/// tag below), so a wrong hit needs two different states with the same 64-bit `stateHash`
/// (the summary's collision estimate adds one chance in 2^64 per transition, a bound on
/// the lookups that does not depend on timing). The cache has at least 2^17 slots, so the
/// 17 bits below the hash hold a 16-bit tag and the valid bit.
///
/// One cache shared by every worker thread: slots are read and written with relaxed
/// atomics (a reader sees an old or a new entry, either of them true). Determinism: an
/// entry's low 16 bits tag which work item of which batch wrote it, and a worker does not
/// trust an entry another item wrote in the current batch. Every entry it does trust was
/// written by an earlier batch (merged before this one, even when that merge runs alongside
/// this batch's expansion: the successor is visited or a candidate of that batch) or by
/// itself for an earlier state of its own (that successor reaches the merge first), so
/// dropping the successor is exactly what the in-order merge would do, whatever the timing. Between batches the explorer grows the
/// cache with the visited set, up to `maxSlots`; growing empties it (it is only a cache).
final class SeenSuccessorCache: @unchecked Sendable {
    private var slots: UnsafeMutableBufferPointer<UInt64>
    private var shift: UInt64
    /// 2^22 slots (32 MiB) at most: on the 4-frame spec a cache that fits the last-level
    /// cache finished sooner than 2^26 slots (fewer hits, but each one cheap).
    static let maxSlots = 1 << 22

    static let minSlots = 1 << 17

    init() {
        slots = ZeroedMemory.allocate(SeenSuccessorCache.minSlots)
        shift = UInt64(64 - SeenSuccessorCache.minSlots.trailingZeroBitCount)
    }

    deinit { ZeroedMemory.release(slots) }

    /// Grows (and empties) the cache when the visited set has outgrown it. Not while
    /// workers run.
    func fit(distinctStates: Int) {
        var want = slots.count
        while want < SeenSuccessorCache.maxSlots && want < 2 * distinctStates { want <<= 1 }
        guard want != slots.count else { return }
        ZeroedMemory.release(slots)
        slots = ZeroedMemory.allocate(want)
        shift = UInt64(64 - want.trailingZeroBitCount)
    }

    @inline(__always)
    private func slot(_ hash: UInt64) -> UnsafeMutablePointer<UInt64> {
        slots.baseAddress! + Int(truncatingIfNeeded: hash >> shift)
    }

    /// What a slot holds for `hash`, tag bits clear: the hash bits the slot number does not
    /// give (at least 42), above bit 16, which marks the entry valid (an empty slot is 0).
    @inline(__always)
    private func entry(_ hash: UInt64) -> UInt64 { hash << (64 - shift) | 0x1_0000 }

    /// Asks for `hash`'s slot without waiting (see `FingerprintTable.prefetch`).
    @inline(__always)
    func prefetch(_ hash: UInt64) { mmucheck_prefetch(slot(hash)) }

    /// Who is asking: work item `worker` of the `workers` (at most 128) of a batch whose
    /// items have the tags `first ..< first + workers` (the explorer counts items as it hands
    /// them out, so tags wrap around only after 65,536 items: 2,048 batches of 32).
    struct Tag {
        /// The tag this worker writes.
        let mine: UInt16
        /// The first tag of the current batch; the batch's tags are `base ..< base + workers`.
        let base: UInt16
        let workers: Int
        init(first: Int, worker: Int, workers: Int) {
            precondition(workers >= 1 && workers <= 128 && worker < workers, "at most 128 workers")
            base = UInt16(truncatingIfNeeded: first)
            mine = base &+ UInt16(truncatingIfNeeded: worker)
            self.workers = workers
        }
    }

    /// Is `hash` cached by an entry `tag`'s worker may trust?
    @inline(__always)
    func contains(_ hash: UInt64, _ tag: Tag) -> Bool {
        let e = mmucheck_load_relaxed(slot(hash))
        guard (e ^ entry(hash)) & ~0xFFFF == 0 else { return false }
        let t = UInt16(truncatingIfNeeded: e)
        // Not another worker's entry of this batch (tags of older batches that wrap around
        // onto this one's are distrusted too: a miss is always safe).
        return t == tag.mine || Int(t &- tag.base) >= tag.workers
    }

    /// Caches `hash` (replacing whatever shared its slot), tagged.
    @inline(__always)
    func insert(_ hash: UInt64, _ tag: Tag) { mmucheck_store_relaxed(slot(hash), entry(hash) | UInt64(tag.mine)) }
}

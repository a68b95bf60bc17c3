/// Xen's batch semantics, written once: both engines run `mmu_update` and `mmuext_op`
/// batches through `stopAtFirstFailure`, and the guest's multicalls through `multicall`.
public enum HypercallBatch {
    /// `do_mmu_update` / `do_mmuext_op`: the requests in order, each atomic (`one` applies a
    /// request and returns its error; a refused request must change nothing); the batch
    /// stops at the first failure and the requests before it stay applied. The result counts
    /// the requests done and names the first error.
    public static func stopAtFirstFailure<R>(_ requests: [R], _ one: (R) -> XenError?) -> HypercallResult {
        for (i, r) in requests.enumerated() {
            if let e = one(r) { return HypercallResult(done: i, error: e) }
        }
        return HypercallResult(done: requests.count, error: nil)
    }

    /// `do_multicall`: every entry runs, in order, and gets its own result whatever the
    /// others returned (a batched call inside an entry stops at its own first failure).
    public static func multicall<C>(_ entries: [C], _ one: (C) -> HypercallResult) -> [HypercallResult] {
        var results: [HypercallResult] = []
        results.reserveCapacity(entries.count)
        for call in entries { results.append(one(call)) }
        return results
    }
}

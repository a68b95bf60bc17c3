import Testing
@testable import MMUSpec

/// Xen's batch semantics, written once (HypercallBatch.swift).
@Suite("Batches and multicalls")
struct HypercallBatchTests {
    @Test("a batch stops at its first failing request; the requests before it stay done")
    func stopAtFirstFailure() {
        var applied: [Int] = []
        let r = HypercallBatch.stopAtFirstFailure([1, 2, 3, 4]) { x -> XenError? in
            if x == 3 { return .ebusy }
            applied.append(x)
            return nil
        }
        #expect(r == HypercallResult(done: 2, error: .ebusy))
        #expect(applied == [1, 2])   // 4 never ran
        #expect(HypercallBatch.stopAtFirstFailure([Int]()) { _ in .einval } == HypercallResult(done: 0, error: nil))
    }

    @Test("a multicall runs every entry and gives each its own result")
    func multicall() {
        var ran: [Int] = []
        let results = HypercallBatch.multicall([1, 2, 3]) { x -> HypercallResult in
            ran.append(x)
            return x == 2 ? HypercallResult(done: 0, error: .einval) : HypercallResult(done: 1, error: nil)
        }
        #expect(ran == [1, 2, 3])
        #expect(results.map(\.succeeded) == [true, false, true])
    }

    @Test("both engines' batches are the spec's: a batch on XenState stops where a request fails")
    func specBatch() {
        var s = XenState(config: MMUConfig(levels: 2, entriesPerTable: 2, machineFrames: 2, pfns: 2))
        let r = s.hypercall(.mmuextOp([.pin(level: 1, mfn: 0), .pin(level: 1, mfn: 0), .unpin(mfn: 0)]), vcpu: 0)
        #expect(r == HypercallResult(done: 1, error: .einval))   // the second pin of a pinned frame fails
        #expect(s.frames[0].pinned)                               // the first stays; the unpin never ran
    }
}

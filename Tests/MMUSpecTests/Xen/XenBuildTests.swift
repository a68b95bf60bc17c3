import Testing
@testable import MMUSpec

// Shared fixtures for the Xen*Tests files.

let P: PTEFlags = [.present]
let PW: PTEFlags = [.present, .rw]
func pte(_ frame: Int, _ flags: PTEFlags) -> PTE { PTE(frame: frame, flags: flags) }
func upd(_ mfn: Int, _ slot: Int, _ val: PTE) -> Hypercall {
    .mmuUpdate([.normal(ptr: EntryRef(mfn: mfn, slot: slot), val: val)])
}
func ext(_ op: MMUExtOp) -> Hypercall { .mmuextOp([op]) }
let ok1 = HypercallResult(done: 1, error: nil)
func failed(_ e: XenError) -> HypercallResult { HypercallResult(done: 0, error: e) }

/// 2 levels, 2 entries per table, 3 frames, 1 vCPU: va pages 0..3 (page = i2 * 2 + i1).
func smallConfig(frames: Int = 3, vcpus: Int = 1, recursive: Bool = true, preserveAD: Bool = true) -> MMUConfig {
    MMUConfig(levels: 2, entriesPerTable: 2, machineFrames: frames, pfns: 3, vcpus: vcpus,
              recursiveEntries: recursive, preserveAD: preserveAD)
}

/// Run calls that must all succeed.
func run(_ s: inout XenState, _ calls: [Hypercall], vcpu: Int = 0,
         sourceLocation: SourceLocation = #_sourceLocation) {
    for c in calls {
        let r = s.hypercall(c, vcpu: vcpu)
        #expect(r == HypercallResult(done: 1, error: nil), "\(c)", sourceLocation: sourceLocation)
    }
}

/// The standard small address space: frame 0 the pinned L2 root loaded on vCPU 0, frame 1 a
/// pinned L1 at root slot 0, frame 2 a data page mapped RW at va 0.
func built(mutations: Set<XenMutation> = [], config: MMUConfig = smallConfig()) -> XenState {
    var s = XenState(config: config, mutations: mutations)
    run(&s, [
        upd(1, 0, pte(2, PW)),           // plain data writes while nothing is a page table
        upd(0, 0, pte(1, PW)),
        ext(.pin(level: 1, mfn: 1)),
        ext(.pin(level: 2, mfn: 0)),
        ext(.newBaseptr(mfn: 0)),
    ])
    return s
}

/// What `translate` answers, as a PTE-shaped value (`PW` = writable, `P` = read-only).
func xlate(_ s: XenState, _ va: Int, vcpu: Int = 0) -> PTE? {
    s.translate(vcpu: vcpu, va: va).map { PTE(frame: $0.mfn, flags: $0.writable ? PW : P) }
}

func expectAllHold(_ s: XenState, sourceLocation: SourceLocation = #_sourceLocation) {
    for inv in Invariant.hypervisorLevel {
        #expect(s.check(inv) == nil, "\(inv.rawValue): \(s.check(inv) ?? "")", sourceLocation: sourceLocation)
    }
}

@Suite("Xen: building page tables")
struct XenBuildTests {
    @Test("the initial state: zeroed, untyped, guest-owned frames, no cr3, invalid m2p")
    func initial() {
        let s = XenState(config: smallConfig())
        #expect(s.frames.count == 3)
        #expect(s.frames.allSatisfy { $0 == Frame(owner: .guest, type: .none, validated: false, pinned: false, entries: [.none, .none]) })
        #expect(s.cr3 == [nil])
        #expect(s.m2p == [nil, nil, nil])
        #expect(s.typeCounts() == [0, 0, 0])
        #expect(xlate(s, 0) == nil)
        expectAllHold(s)
    }

    @Test("mmu-update / pin / new-baseptr build a 2-level address space step by step")
    func buildTwoLevel() {
        var s = XenState(config: smallConfig())
        #expect(s.hypercall(upd(1, 0, pte(2, PW)), vcpu: 0) == ok1)
        // A data write takes (then drops) a writable type: the frame is typed writable, count 0.
        #expect(s.frames[1].type == .writable && !s.frames[1].validated)
        #expect(s.hypercall(upd(0, 0, pte(1, PW)), vcpu: 0) == ok1)
        #expect(s.hypercall(ext(.pin(level: 1, mfn: 1)), vcpu: 0) == ok1)
        #expect(s.frames[1] == Frame(type: .l1, validated: true, pinned: true, entries: [pte(2, PW), .none]))
        #expect(s.frames[2].type == .writable && s.frames[2].validated)
        #expect(s.typeCounts() == [0, 1, 1])
        #expect(s.hypercall(ext(.pin(level: 2, mfn: 0)), vcpu: 0) == ok1)
        #expect(s.typeCounts() == [1, 2, 1])
        #expect(s.hypercall(ext(.newBaseptr(mfn: 0)), vcpu: 0) == ok1)
        #expect(s.cr3 == [0])
        #expect(s.frames[0] == Frame(type: .l2, validated: true, pinned: true, entries: [pte(1, PW), .none]))
        #expect(s.typeCounts() == [2, 2, 1])
        #expect(s.generalCounts() == [2, 2, 1])
        #expect(s == built())
        #expect(xlate(s, 0) == pte(2, PW))
        #expect(xlate(s, 0x1000) == nil)
        #expect(xlate(s, 0x2000) == nil)
        #expect(s.writableFrames() == [2])
        expectAllHold(s)
    }

    @Test("pinning an L2 validates the L1s below it (get_page_type recursion), unpinned")
    func pinValidatesTree() {
        var s = XenState(config: smallConfig())
        run(&s, [upd(1, 0, pte(2, PW)), upd(0, 0, pte(1, P)), ext(.pin(level: 2, mfn: 0))])
        #expect(s.frames[0].type == .l2 && s.frames[0].validated && s.frames[0].pinned)
        #expect(s.frames[1].type == .l1 && s.frames[1].validated && !s.frames[1].pinned)
        #expect(s.frames[2].type == .writable && s.frames[2].validated)
        #expect(s.typeCounts() == [1, 1, 1])
        expectAllHold(s)
    }

    @Test("new-baseptr to another root drops the old root's reference")
    func newBaseptrSwitches() {
        var s = built()
        run(&s, [ext(.unpin(mfn: 0))])
        #expect(s.frames[0].validated)               // the cr3 still holds it
        // Frame 2 (data) cannot become a root: it is writable in force.
        #expect(s.hypercall(ext(.newBaseptr(mfn: 2)), vcpu: 0) == failed(.einval))
        // Free frame 2 (drop the RW mapping), then make it an empty root.
        run(&s, [upd(1, 0, .none), ext(.newBaseptr(mfn: 2))])
        #expect(s.cr3 == [2])
        #expect(s.frames[2].type == .l2 && s.frames[2].validated)
        #expect(!s.frames[0].validated && s.frames[0].type == .l2)   // devalidated, type kept
        #expect(s.frames[1].validated && s.frames[1].pinned)          // its own pin keeps it
        #expect(s.typeCounts() == [0, 1, 1])
        expectAllHold(s)
    }
}

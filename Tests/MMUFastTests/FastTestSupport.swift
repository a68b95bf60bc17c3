@testable import MMUFast
import MMUSpec

/// A fast engine for a configuration, with the explorer's compiled actions, built without
/// the checker (this target tests MMUFast alone).
struct FastFixture {
    let engine: FastXen
    let ops: [FastOp]
    let actions: [XenAction]

    /// 2 levels, 2 entries a table, `frames` frames and pfns, one vCPU, linear entries and
    /// preserve-AD on, entry flags `[present]` and `[present, rw]`: the bench specs' sizes.
    /// `recursive: false` (no linear entries) for slot symmetry, which needs it.
    init(frames: Int, recursive: Bool = true) throws {
        let config = MMUConfig(levels: 2, entriesPerTable: 2, machineFrames: frames, pfns: frames, vcpus: 1,
                               recursiveEntries: recursive, preserveAD: true)
        let flags: [PTEFlags] = [[.present], [.present, .rw]]
        engine = try FastXen(config: config, entryValues: XenState.entryValues(config: config, flagChoices: flags))
        actions = XenState.allActions(config: config, flagChoices: flags)
        var ops: [FastOp] = []
        for (i, a) in actions.enumerated() {
            guard let op = engine.compile(a, index: i) else { throw FastUnsupported(reason: "\(a) does not compile") }
            ops.append(op)
        }
        self.ops = ops
    }

    /// A state reached by `steps` random actions from the initial state.
    func randomState(_ rng: inout TestRNG, steps: Int) -> FastXenState {
        var s = engine.initialState
        for _ in 0..<steps {
            if let t = engine.step(s, ops[Int(rng.next() % UInt64(ops.count))]) { s = t }
        }
        return s
    }
}

/// SplitMix64, for reproducible random walks.
struct TestRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

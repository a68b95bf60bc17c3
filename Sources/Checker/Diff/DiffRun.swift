import Foundation
import MMUFast
import MMUSpec

/// The first place where the fast engine and the spec disagree.
public struct DiffMismatch: Sendable {
    /// Where it was found: "breadth-first" or "random run N".
    public let phase: String
    /// The actions from the initial state, the last one the action that disagreed.
    public let actions: [String]
    /// What differed (result, abstract state, counts, an invariant's verdict).
    public let what: String
}

/// What the differential tester did.
public struct DiffOutcome: Sendable {
    public let spec: CheckSpec
    public let settings: CheckSpec.DiffSettings
    /// Operations run on both engines and compared.
    public var comparisons = 0
    /// Spec states explored breadth-first (every action compared from each).
    public var bfsStates = 0
    /// Random runs finished.
    public var runs = 0
    public var seconds = 0.0
    public var mismatch: DiffMismatch?
    /// Why the run stopped before doing all it was asked (Ctrl-C / SIGTERM, the time limit);
    /// nil when it finished.
    public var incomplete: IncompleteReason?
    /// 0 no mismatch, 1 mismatch, 3 stopped early without a mismatch.
    public var exitCode: Int32 { mismatch != nil ? 1 : incomplete != nil ? 3 : 0 }
    public var verdict: String { mismatch != nil ? "mismatch" : incomplete != nil ? "incomplete" : "holds" }
    public var detail: String {
        if let m = mismatch { return "\(m.phase), step \(m.actions.count): \(m.what)" }
        return "\(comparisons) operations compared (\(bfsStates) states breadth-first, \(runs) random runs of \(settings.steps))"
            + (incomplete.map { " (\($0.rawValue): not all \(settings.states) states and \(settings.runs) runs)" } ?? "")
    }
}

/// Differential testing: the fast engine (MMUFast) against the executable spec (MMUSpec).
///
/// After every operation both engines must agree on the result (requests done, first
/// error), on the abstract state (the spec state the packed state stands for), on the
/// counts (the fast engine's stored counts against the spec's derived ones) and on every
/// invariant's verdict; the explorer's compiled fast path (`step`) must agree with the
/// general one. Two phases, both deterministic:
/// 1. breadth-first over spec states (no symmetry) up to `states`, comparing every action
///    the explorer offers from each state; on each new state, a random renaming of frames
///    must agree with the spec's renaming and keep the canonical fingerprint;
/// 2. `runs` random runs of `steps` operations from a seeded generator, drawing from every
///    operation (machphys and tlb-flush included), multi-request batches, and arguments out
///    of range (negative too; preserve-AD when the configuration lacks it); of up to 8 draws per step the first the spec accepts moves the run on, and
///    every draw is compared.
public enum DiffRun {
    /// `maxSeconds`: stop (incomplete) after this long; Ctrl-C / SIGTERM (`ExplorerInterrupt`)
    /// stop it too.
    public static func run(_ spec: CheckSpec, settings: CheckSpec.DiffSettings? = nil,
                           defects: Set<FastDefect> = [], mutations: Set<XenMutation> = [],
                           maxSeconds: Double? = nil) throws(FastUnsupported) -> DiffOutcome {
        let settings = settings ?? spec.diff
        let start = Date()
        let model = try FastHypervisorModel(spec: spec, mutations: mutations, defects: defects)
        let deadline = maxSeconds.map { start.addingTimeInterval($0) }
        let out = try runPhases(spec, settings: settings, model: model, stop: {
            if ExplorerInterrupt.flag.pointee != 0 { return .interrupted }
            if let deadline, Date() >= deadline { return .timeLimit }
            return nil
        })
        var timed = out
        timed.seconds = Date().timeIntervalSince(start)
        return timed
    }

    static func runPhases(_ spec: CheckSpec, settings: CheckSpec.DiffSettings, model: FastHypervisorModel,
                          stop: () -> IncompleteReason? = { nil }) throws(FastUnsupported) -> DiffOutcome {
        let engine = model.engine
        let mutations = model.mutations
        var out = DiffOutcome(spec: spec, settings: settings)

        /// Compares one action from (x, f); returns the successors or the difference.
        func compare(_ x: XenState, _ f: FastXenState, _ a: XenAction, checkInvariants: Bool)
            -> Result<(XenState, FastXenState, ok: Bool), Difference> {
            out.comparisons += 1
            var x2 = x
            let r1: HypercallResult
            switch a {
            case .hypercall(let vcpu, let call): r1 = x2.hypercall(call, vcpu: vcpu)
            case .guestStore(let vcpu, let va, let slot, let val):
                switch x2.guestStore(vcpu: vcpu, va: va, slot: slot, val: val) {
                case .success: r1 = HypercallResult(done: 1, error: nil)
                case .failure(let e): r1 = HypercallResult(done: 0, error: e)
                }
            }
            var f2 = f
            guard let r2 = engine.perform(a, on: &f2) else { return .failure(Difference("the fast engine cannot hold an entry value of \(a)")) }
            if r1 != r2 { return .failure(Difference("result: spec \(r1), fast \(r2)")) }
            let abstract = model.specState(f2)
            if abstract != x2 { return .failure(Difference("state: spec \(x2) | fast \(abstract)")) }
            let stored = engine.storedCounts(f2)
            let tc = x2.typeCounts(), gc = x2.generalCounts()
            if stored.type != tc { return .failure(Difference("type counts: spec (derived) \(tc), fast (stored) \(stored.type)")) }
            if stored.general != gc { return .failure(Difference("general counts: spec (derived) \(gc), fast (stored) \(stored.general)")) }
            if let op = engine.compile(a) {
                let viaStep = engine.step(f, op)
                if (viaStep == nil) != (r2.error != nil) || (viaStep != nil && viaStep != f2) {
                    return .failure(Difference("the explorer's compiled step disagrees with the general path on \(a)"))
                }
                // And the explorer's path proper: with the state's step context.
                if engine.step(f, op, context: engine.stepContext(f)) != viaStep {
                    return .failure(Difference("the compiled step with the state's step context disagrees without it on \(a)"))
                }
            }
            if checkInvariants {
                for inv in spec.checkedInvariants {
                    let s = x2.check(inv), q = engine.check(inv, f2)
                    if (s == nil) != (q == nil) {
                        return .failure(Difference("invariant \(inv.rawValue): spec says \(s ?? "holds"), fast says \(q ?? "holds")"))
                    }
                }
            }
            return .success((x2, f2, r2.error == nil))
        }

        var rng = SplitMix64(seed: settings.seed)
        let frames = spec.config.machineFrames
        let slots = spec.config.entriesPerTable
        func shuffled(_ n: Int) -> [Int] {
            var perm = Array(0..<n)
            for i in stride(from: n - 1, to: 0, by: -1) { perm.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            return perm
        }
        /// Symmetry on the packed state: a random renaming of frames and then of slots agrees
        /// with the spec's renaming, and leaves the canonical fingerprints (with and without
        /// stale types) unchanged.
        let exactSymmetry = (1...max(1, frames)).reduce(1, *) <= FastXen.maxArrangements
        func symmetryDifference(_ x: XenState, _ f: FastXenState) -> String? {
            // Slots are renamed only where symmetry uses them (no linear entries: `XenState.slotPermutations`).
            let perm = shuffled(frames), sigma = spec.config.recursiveEntries ? Array(0..<slots) : shuffled(slots)
            guard let r0 = engine.renaming(f, perm), let r = engine.renamingSlots(r0, sigma) else {
                return "renaming frames \(perm), slots \(sigma) refused"
            }
            if model.specState(r) != x.permutingFrames(perm).permutingSlots(sigma) {
                return "renaming frames by \(perm) and slots by \(sigma) disagrees with the spec's renaming"
            }
            // Past `FastXen.maxArrangements` renamings (7 frames and more) ties keep their order:
            // the representative is sound but not unique per class, so only the renaming itself
            // is checked there.
            guard exactSymmetry else { return nil }
            for forget in [false, true] where engine.fingerprint(r, symmetric: true, forgetStaleTypes: forget)
                != engine.fingerprint(f, symmetric: true, forgetStaleTypes: forget) {
                return "the canonical fingerprint changes under the renaming of frames \(perm), slots \(sigma) (stale types \(forget ? "forgotten" : "kept"))"
            }
            return nil
        }

        // Phase 1: breadth-first over spec states.
        let initial = (XenState(config: spec.config, mutations: mutations), engine.initialState)
        if settings.states > 0 {
            var seen: Set<XenState> = [initial.0]
            var queue = [(initial.0, initial.1, [String]())]
            var head = 0
            while head < queue.count && out.bfsStates < settings.states {
                if let why = stop() { out.incomplete = why; return out }
                let (x, f, path) = queue[head]; head += 1
                out.bfsStates += 1
                for a in model.xenActions {
                    switch compare(x, f, a, checkInvariants: false) {
                    case .failure(let why):
                        out.mismatch = DiffMismatch(phase: "breadth-first", actions: path + [a.description], what: why.what)
                        return out
                    case .success(let (x2, f2, ok)):
                        guard ok, !seen.contains(x2) else { continue }
                        seen.insert(x2)
                        if let why = symmetryDifference(x2, f2) {
                            out.mismatch = DiffMismatch(phase: "breadth-first", actions: path + [a.description], what: "symmetry: " + why)
                            return out
                        }
                        // Invariant verdicts once per new state.
                        for inv in spec.checkedInvariants where (x2.check(inv) == nil) != (engine.check(inv, f2) == nil) {
                            out.mismatch = DiffMismatch(phase: "breadth-first", actions: path + [a.description],
                                                        what: "invariant \(inv.rawValue): the engines disagree")
                            return out
                        }
                        queue.append((x2, f2, path + [a.description]))
                    }
                }
            }
        }

        // Phase 2: random runs, over every operation of the table (those the explorer never
        // generates included; preserve-AD only when the configuration has it: otherwise among
        // the refused draws).
        let pool = XenState.actions(of: XenOperation.allCases.filter { $0.offered(spec.config) || !$0.explored },
                                    config: spec.config, flagChoices: spec.entryFlags)
        let refused = XenState.outOfRangeActions(config: spec.config)
        guard !pool.isEmpty else { return out }
        for run in 0..<settings.runs {
            var (x, f) = initial
            var path: [String] = []
            for _ in 0..<settings.steps {
                if let why = stop() { out.incomplete = why; return out }
                for _ in 0..<8 {
                    let a = draw(&rng, pool: pool, refused: refused)
                    switch compare(x, f, a, checkInvariants: true) {
                    case .failure(let why):
                        out.mismatch = DiffMismatch(phase: "random run \(run) (seed \(settings.seed))", actions: path + [a.description], what: why.what)
                        return out
                    case .success(let (x2, f2, ok)):
                        if !ok { continue }
                        (x, f) = (x2, f2)
                        path.append(a.description)
                    }
                    break
                }
            }
            out.runs += 1
        }
        return out
    }

    /// One random operation: mostly one of `pool`; sometimes a batch of two or three
    /// requests, or one of `refused` (arguments out of range).
    static func draw(_ rng: inout SplitMix64, pool: [XenAction], refused: [XenAction]) -> XenAction {
        let pick = { (rng: inout SplitMix64) in pool[Int(rng.next() % UInt64(pool.count))] }
        let roll = rng.next() % 100
        if roll < 15 {
            // A batch: the requests of two or three drawn actions that form one call
            // (`XenAction(vcpu:requests:)` decides which requests batch together).
            let first = pick(&rng)
            var requests = first.requests
            for _ in 0..<(1 + Int(rng.next() % 2)) {
                let more = pick(&rng).requests
                if XenAction(vcpu: first.vcpu, requests: requests + more) != nil { requests += more }
            }
            return XenAction(vcpu: first.vcpu, requests: requests) ?? first
        }
        if roll < 20, !refused.isEmpty { return refused[Int(rng.next() % UInt64(refused.count))] }
        return pick(&rng)
    }
}

/// What differed between the engines on one operation.
struct Difference: Error { let what: String; init(_ what: String) { self.what = what } }

/// A small deterministic generator (SplitMix64): the same seed gives the same runs on
/// every machine, unlike the system generator.
public struct SplitMix64: Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

import Foundation
@testable import MMUFast
import MMUSpec
import Testing
@testable import Checker

/// The fast engine (MMUFast) against the spec: the same verdicts and counts in exploration,
/// the differential tester finding nothing on the real engine and finding each injected
/// defect (its known-false twins), symmetry on packed states, replay on either engine.
@Suite struct FastEngineTests {
    static let specs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../specs").standardized.path

    static func load(_ name: String) throws -> CheckSpec { try SpecLoader.load(file: specs + "/" + name) }

    /// Both engines explore the same state space: same distinct states, transitions,
    /// depth and verdict, with and without each reduction (hypervisor-small to depth 4,
    /// to keep the spec engine's share of the test time small).
    @Test(arguments: ["quick/hypervisor-tiny.yaml", "hypervisor-small.yaml"], [(true, true), (false, false), (true, false), (false, true)])
    func enginesExploreTheSameSpace(_ file: String, _ reductions: (symmetry: Bool, merge: Bool)) throws {
        var spec = try Self.load(file)
        spec.symmetry = reductions.symmetry
        spec.mergeStaleTypes = reductions.merge
        if file == "hypervisor-small.yaml" { spec.maxDepth = 4 }
        let fast = ExploreRun.run(spec, options: spec.explorerOptions, engine: .fast)
        let reference = ExploreRun.run(spec, options: spec.explorerOptions, engine: .spec)
        #expect(fast.engine == "fast" && reference.engine == "spec")
        #expect(fast.verdict == reference.verdict && fast.violations.isEmpty)
        #expect(fast.verdict == (spec.maxDepth == nil ? "holds" : "incomplete"))
        #expect(fast.stats.distinctStates == reference.stats.distinctStates)
        #expect(fast.stats.transitions == reference.stats.transitions)
        #expect(fast.stats.depth == reference.stats.depth)
    }

    @Test func autoPicksTheFastEngineForTheHypervisorAndTheSpecForTheGuest() throws {
        #expect(Engines.resolve(try Self.load("hypervisor-small.yaml")).engine == .fast)
        let guest = try Self.load("guest-pae.yaml")
        let (engine, why) = Engines.resolve(guest)
        #expect(engine == .spec && why != nil)
    }

    /// The differential tester on the real fast engine: many comparisons, no mismatch.
    @Test(arguments: ["quick/hypervisor-tiny.yaml", "hypervisor-small.yaml", "bench/hypervisor-3-frames.yaml"])
    func diffFindsNoMismatch(_ file: String) throws {
        let spec = try Self.load(file)
        var settings = CheckSpec.DiffSettings()
        settings.runs = 40; settings.steps = 40; settings.states = 200
        let d = try DiffRun.run(spec, settings: settings)
        #expect(d.mismatch == nil, "\(d.mismatch.map { $0.what } ?? "")")
        #expect(d.bfsStates == 200 && d.runs == 40)
        #expect(d.comparisons > 200 * 40)
    }

    /// Past 6 frames the canonical form keeps tied frames in order (sound, not unique per
    /// class): the tester must not report that as a mismatch.
    @Test func diffAcceptsInexactSymmetryPastSixFrames() throws {
        var spec = try Self.load("hypervisor-small.yaml")
        spec.config = MMUConfig(levels: 2, entriesPerTable: 2, machineFrames: 7, pfns: 7, vcpus: 1,
                                recursiveEntries: true, preserveAD: true)
        var settings = CheckSpec.DiffSettings()
        settings.runs = 10; settings.steps = 20; settings.states = 100
        let d = try DiffRun.run(spec, settings: settings)
        #expect(d.mismatch == nil, "\(d.mismatch.map { $0.what } ?? "")")
    }

    /// Known-false twins of the differential tester: each defect of the fast engine is caught,
    /// and the report names what differed.
    @Test(arguments: FastDefect.allCases)
    func diffCatchesEachDefect(_ defect: FastDefect) throws {
        let spec = try Self.load("hypervisor-small.yaml")
        let d = try DiffRun.run(spec, defects: [defect])
        let m = try #require(d.mismatch, "the differential tester missed \(defect.rawValue)")
        #expect(m.what.contains("counts") || m.what.contains("state") || m.what.contains("invariant"), "\(m.what)")
        #expect(d.exitCode == 1)
        #expect(!m.actions.isEmpty)
    }

    /// A defect is also caught by the fast engine's own counts-match (stored counts against
    /// the references) when exploring: the explorer runs on the fast engine, so its
    /// bookkeeping is checked in every state.
    @Test func exploringADefectiveEngineBreaksCountsMatch() throws {
        let spec = try Self.load("hypervisor-small.yaml")
        let o = ExploreRun.run(spec, options: spec.explorerOptions, engine: .fast, fastDefects: [.keepOldReference])
        let v = try #require(o.violations.first)
        #expect(v.invariant == Invariant.countsMatch.rawValue)
        #expect(v.message.contains("stored"))
    }

    /// Symmetry on packed states: every renaming of a reachable state (of its frames, of its
    /// slots, of both) has the same canonical form and fingerprint, and renaming agrees with
    /// the spec's renaming.
    @Test func canonicalFormIsTheSameForEveryRenaming() throws {
        let spec = try Self.load("bench/hypervisor-3-frames.yaml")
        let model = try FastHypervisorModel(spec: spec)
        let e = model.engine
        var rng = SplitMix64(seed: 7)
        let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        var checked = 0
        for _ in 0..<200 {
            var s = e.initialState
            for _ in 0..<12 {
                let op = model.actions(in: s)[Int(rng.next() % UInt64(model.actions(in: s).count))]
                if let t = e.step(s, op) { s = t }
            }
            let specState = model.specState(s)
            for p in perms {
                var inline = InlineArray<16, Int>(repeating: 0)
                for (i, x) in p.enumerated() { inline[i] = x }
                let r = e.permuted(s, inline)
                #expect(model.specState(r) == specState.permutingFrames(p))
                #expect(e.canonical(r) == e.canonical(s))
                #expect(e.fingerprint(r, symmetric: true) == e.fingerprint(s, symmetric: true))
                #expect(e.fingerprint(r, symmetric: true, forgetStaleTypes: true) == e.fingerprint(s, symmetric: true, forgetStaleTypes: true))
                let rs = e.slotPermuted(r, 1)   // and the slots swapped
                #expect(model.specState(rs) == specState.permutingFrames(p).permutingSlots([1, 0]))
                #expect(e.canonical(rs) == e.canonical(s))
                #expect(e.fingerprint(rs, symmetric: true) == e.fingerprint(s, symmetric: true))
                #expect(e.fingerprint(rs, symmetric: true, forgetStaleTypes: true) == e.fingerprint(s, symmetric: true, forgetStaleTypes: true))
                checked += 1
            }
        }
        #expect(checked == 1200)
        // The fingerprint tells classes apart: 200 random states are not all one class.
        #expect(Set((0..<50).map { e.fingerprint(model.actions(in: e.initialState).indices.dropFirst($0).first.flatMap { e.step(e.initialState, model.actions(in: e.initialState)[$0]) } ?? e.initialState, symmetric: true) }).count > 1)
    }

    /// The symmetry fingerprint tells exactly the classes apart: over random reachable states
    /// of the 4-frame spec and a random renaming (frames and slots) of each, two fingerprints
    /// are equal exactly when the canonical states (`canonical`: built state by state, another
    /// code path) are, with and without forgetting stale types.
    @Test func fingerprintPartitionsStatesAsTheCanonicalFormDoes() throws {
        let model = try FastHypervisorModel(spec: Self.load("bench/hypervisor-4-frames.yaml"))
        let e = model.engine
        var rng = SplitMix64(seed: 3)
        for forget in [false, true] {
            var byCanonical: [FastXenState: UInt64] = [:]
            var byFingerprint: [UInt64: FastXenState] = [:]
            var mismatches = 0
            for _ in 0..<3000 {
                var s = e.initialState
                for _ in 0..<Int(rng.next() % 40) {
                    let ops = model.actions(in: s)
                    if let t = e.step(s, ops[Int(rng.next() % UInt64(ops.count))]) { s = t }
                }
                var frames = [0, 1, 2, 3]
                for i in stride(from: 3, to: 0, by: -1) { frames.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
                let framesRenamed = try #require(e.renaming(s, frames))
                let renamed = try #require(e.renamingSlots(framesRenamed, rng.next() % 2 == 0 ? [0, 1] : [1, 0]))
                for x in [s, renamed] {
                    let c = e.canonical(forget ? e.forgettingStaleTypes(x) : x)
                    let fp = e.fingerprint(x, symmetric: true, forgetStaleTypes: forget)
                    if let known = byCanonical[c], known != fp { mismatches += 1 } else { byCanonical[c] = fp }
                    if let known = byFingerprint[fp], known != c { mismatches += 1 } else { byFingerprint[fp] = c }
                }
            }
            #expect(mismatches == 0, "forgetting stale types: \(forget)")
            #expect(byCanonical.count > 1000, "too few classes (\(byCanonical.count)) to test the fingerprint")
        }
    }

    /// The step context (the page walks a state's guest stores and update-va-mappings share)
    /// changes no successor: every action from 300 random reachable states steps to the same
    /// state with and without it. And it is not ignored: stepping with another state's
    /// context gives a different successor somewhere.
    @Test(arguments: ["hypervisor-small.yaml", "bench/hypervisor-3-frames.yaml"])
    func stepContextChangesNoSuccessor(_ file: String) throws {
        let model = try FastHypervisorModel(spec: Self.load(file))
        let e = model.engine
        var rng = SplitMix64(seed: 11)
        var previous = e.initialState
        var compared = 0, viaContext = 0, wrongContextDiffers = 0
        for _ in 0..<300 {
            var s = e.initialState
            for _ in 0..<Int(rng.next() % 40) {
                let ops = model.actions(in: s)
                if let t = e.step(s, ops[Int(rng.next() % UInt64(ops.count))]) { s = t }
            }
            let context = e.stepContext(s)
            #expect(!context.isEmpty)
            let stale = e.stepContext(previous)
            for op in model.actions(in: s) {
                let plain = e.step(s, op)
                #expect(e.step(s, op, context: context) == plain, "\(model.xenAction(op)) from \(model.specState(s))")
                compared += 1
                if plain != nil && (op.kind == .guestStore || op.kind == .updateVAMapping) { viaContext += 1 }
                if e.step(s, op, context: stale) != plain { wrongContextDiffers += 1 }
            }
            previous = s
        }
        #expect(compared > 10_000)
        #expect(viaContext > 50, "too few guest stores or update-va-mappings succeeded to test the context")
        #expect(wrongContextDiffers > 0)
    }

    /// A counterexample found on the fast engine replays on both engines to the same violation.
    @Test func fastTraceReplaysOnBothEngines() throws {
        let spec = try Self.load("hypervisor-small.yaml")
        let o = ExploreRun.run(spec, options: spec.explorerOptions, engine: .fast, hypervisorMutations: [.allowWritableL1ToPagetable])
        #expect(o.engine == "fast")
        let v = try #require(o.violations.first)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mmucheck-fast-trace-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try TraceFile.write(v, to: file)
        let loaded = try TraceReader.load(file: file)
        for engine in [CheckSpec.Engine.spec, .fast] {
            let r = try Replay.run(loaded, engine: engine)
            #expect(r.reproduced, "not reproduced on \(engine)")
            #expect(r.steps.map(\.action) == v.actions)
        }
    }
}

/// Forgetting stale types is a bisimulation on reachable states: for every state reached
/// breadth-first (spec engine, no reduction) and every action, the state and its reduced
/// form answer alike, lead to states with the same reduced form, and satisfy the same
/// invariants. And it reduces the count without changing a verdict.
@Suite struct StaleTypeReductionTests {
    @Test(arguments: ["quick/hypervisor-tiny.yaml", "hypervisor-small.yaml"])
    func reducedStatesBehaveAlike(_ file: String) throws {
        var spec = try FastEngineTests.load(file)
        spec.mergeStaleTypes = false
        let model = HypervisorModel(spec: spec)
        var seen: Set<XenState> = []
        var queue = model.initialStates()
        var head = 0, differing = 0
        while head < queue.count && head < 1500 {
            let s = queue[head]; head += 1
            let r = s.forgettingStaleTypes()
            if r != s { differing += 1 }
            for inv in spec.checkedInvariants { #expect((s.check(inv) == nil) == (r.check(inv) == nil)) }
            for a in model.actions(in: s) {
                var x = s, y = r
                let rx = x.apply(a), ry = y.apply(a)
                #expect(rx == ry, "\(a) answers \(rx) from \(s) but \(ry) from its reduced form")
                #expect(x.forgettingStaleTypes() == y.forgettingStaleTypes())
                if rx.succeeded, seen.insert(x).inserted { queue.append(x) }
            }
        }
        #expect(differing > 0, "no reachable state has a stale type: the test would prove nothing")
    }

    @Test func mergingKeepsTheVerdictAndReducesTheCount() throws {
        var spec = try FastEngineTests.load("quick/hypervisor-tiny.yaml")
        spec.mergeStaleTypes = true
        let on = ExploreRun.run(spec, options: spec.explorerOptions)
        spec.mergeStaleTypes = false
        let off = ExploreRun.run(spec, options: spec.explorerOptions)
        // (The deepest level may shrink: a merged state can be first met earlier.)
        #expect(on.verdict == off.verdict && on.stats.depth <= off.stats.depth)
        #expect(on.stats.distinctStates < off.stats.distinctStates)
        // With a rule removed the violation and its depth survive the reduction.
        spec.mergeStaleTypes = true
        let bugOn = ExploreRun.run(spec, options: spec.explorerOptions, hypervisorMutations: [.oldFastPath])
        #expect(!bugOn.staleTypesMerged)   // not sound under mutations: switched off
    }
}

import Foundation
@testable import MMUFast
import MMUSpec
import Testing
@testable import Checker


/// Both engines behind one model interface (Engines.swift, FastHypervisorModel.swift): the
/// same verdicts and counts in exploration, the choice `auto` makes, a defective engine caught
/// by its own counts, traces replayed on either engine.
@Suite struct EnginesTests {
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

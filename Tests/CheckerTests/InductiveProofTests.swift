import Foundation
import Testing
@testable import Checker
import MMUSpec

/// The inductive proofs (issue #11), one Swift Testing case per obligation, at the sizes of the
/// shipped specs that ask for them: `specs/hypervisor-inductive.yaml` (3 frames, 3 levels,
/// 2 vCPUs) and `specs/hypervisor-small.yaml`'s (2 frames, 2 levels). Each obligation must do
/// what it expects: proved, or (a twin) refuted.
@Suite struct InductiveProofTests {
    static let sizes = ["hypervisor-inductive.yaml", "hypervisor-small.yaml"]
    static let names = InductiveProofs.names

    static func run(_ name: String, _ file: String, encoding: ProofEncoding = .exact) throws -> ObligationResult {
        let config = try EnginesTests.load(file).config
        let o = try #require(try ProofSelection.select(only: [name], twins: true, config: config, encoding: encoding).first { $0.name == name })
        return try Prover().run(o)
    }

    /// hypervisor-inductive.yaml has 3 levels, hypervisor-small.yaml 2.
    @Test(arguments: InductiveProofs.names(levels: 3))
    func obligationAtTheInductiveSpecsSize(_ name: String) throws {
        let r = try Self.run(name, "hypervisor-inductive.yaml")
        #expect(r.verdict == .holds, "\(ProofReport.line(r))")
    }

    @Test(arguments: InductiveProofs.names(levels: 2))
    func obligationAtTheSmallSpecsSize(_ name: String) throws {
        let r = try Self.run(name, "hypervisor-small.yaml")
        #expect(r.verdict == .holds, "\(ProofReport.line(r))")
    }

    /// The modular encoding (contracts for get_page_type's entry loop and devalidation, goals
    /// asked of frame 0 and slot 0) proves and refutes exactly what the exact one does.
    @Test(arguments: InductiveProofs.names(levels: 3))
    func obligationInTheModularEncoding(_ name: String) throws {
        let r = try Self.run(name, "hypervisor-inductive.yaml", encoding: .modular)
        #expect(r.verdict == .holds, "\(ProofReport.line(r))")
    }

    /// The twins of the lemmas fail where they should: an RW L1 entry to a page table breaks
    /// the entry rule of the L1 loop's contract; one round of devalidation is not a fixpoint.
    @Test func lemmaTwinsNameTheBrokenConjunct() throws {
        let l1 = try Self.run("get-page-type-l1-contract-twin-allow-writable-l1-to-pagetable", "hypervisor-inductive.yaml")
        #expect(try #require(l1.firstRefuted).name.contains("obeys its rule"), "\(ProofReport.line(l1))")
        let once = try Self.run("devalidation-contract-twin-one-round", "hypervisor-inductive.yaml")
        #expect(try #require(once.firstRefuted).name == "fixpoint/round 2 changes nothing", "\(ProofReport.line(once))")
        // In the modular encoding a step brings the lemmas it rests on.
        let config = try EnginesTests.load("hypervisor-inductive.yaml").config
        #expect(try ProofSelection.select(only: ["pin-preserves-counts-match"], twins: false, config: config, encoding: .modular).map(\.name)
                == ["pin-preserves-counts-match", "get-page-type-l1-contract", "get-page-type-l2-contract", "get-page-type-l3-contract", "devalidation-contract"])
        #expect(try ProofSelection.select(only: ["pin-preserves-counts-match"], twins: false, config: config).map(\.name) == ["pin-preserves-counts-match"])
        // A name that exists only at more levels is refused, not silently empty.
        #expect(throws: ProofSelection.UnknownName.self) {
            try ProofSelection.select(only: ["get-page-type-l4-contract"], twins: true, config: try EnginesTests.load("hypervisor-inductive.yaml").config)
        }
    }

    /// The twins fail for the right reason: the conjunct that breaks, and whether the
    /// counterexample's pre-state is one the spec's invariants allow (a real bug) or not
    /// (a weak invariant).
    @Test func twinsNameTheBrokenConjunctAndTellBugFromWeakness() throws {
        let old = try Self.run("mmu-update-preserves-validated-entries-twin-old-fast-path", "hypervisor-inductive.yaml")
        let oldLines = try #require(old.firstRefuted).explanation
        #expect(oldLines.contains { $0.hasPrefix("broken conjunct of validated-entries: entry ") }, "\(oldLines)")
        #expect(oldLines.contains { $0.hasPrefix("step: mmu-update(") })
        #expect(oldLines.contains { $0.hasPrefix("the pre-state satisfies every hypervisor invariant") }, "\(oldLines)")
        let weak = try Self.run("inv-implies-no-writable-pagetable-twin-without-counts-match", "hypervisor-small.yaml")
        let weakLines = try #require(weak.firstRefuted).explanation
        #expect(weakLines.contains { $0.hasPrefix("broken conjunct of no-writable-pagetable: root ") }, "\(weakLines)")
        #expect(weakLines.contains { $0.contains("counts-match") }, "\(weakLines)")
    }

    /// A modular step's "proved" is conditional on the lemmas: the ones that did not hold are named
    /// (twins and steps are not lemmas).
    @Test func lemmasThatDoNotHoldAreNamed() {
        func result(_ name: String, _ status: GoalStatus, _ expectation: ProofObligation.Expectation = .proved) -> ObligationResult {
            ObligationResult(name: name, summary: "", expectation: expectation,
                             goals: [GoalResult(name: "g", status: status, seconds: 0)], seconds: 0)
        }
        let results = [result("pin-preserves-counts-match", .proved), result("get-page-type-l1-contract", .proved),
                       result("get-page-type-l2-contract", .unknown(reason: "timeout")), result("devalidation-contract", .refuted([])),
                       result("devalidation-contract-twin-one-round", .refuted([]), .refuted),
                       result("unpin-preserves-counts-match", .unknown(reason: "timeout"))]
        #expect(InductiveProofs.lemmasNotHolding(results) == ["get-page-type-l2-contract", "devalidation-contract"])
        #expect(InductiveProofs.lemmasNotHolding(Array(results.prefix(2))).isEmpty)
    }

    @Test func selectionByGlobGroupAndSize() throws {
        let config = try EnginesTests.load("hypervisor-small.yaml").config
        let steps = try ProofSelection.select(only: ["mmu-update-*"], twins: false, config: config).map(\.name)
        #expect(steps == ["mmu-update-preserves-well-typed", "mmu-update-preserves-validated-entries", "mmu-update-preserves-counts-match",
                          "mmu-update-preserve-ad-preserves-well-typed", "mmu-update-preserve-ad-preserves-validated-entries",
                          "mmu-update-preserve-ad-preserves-counts-match", "mmu-update-machphys-preserves-well-typed",
                          "mmu-update-machphys-preserves-validated-entries", "mmu-update-machphys-preserves-counts-match"])
        #expect(try ProofSelection.select(only: ["inductive"], twins: true, config: config).map(\.name) == InductiveProofs.names(levels: 2))
        // init x 3 parts, operations x 3 parts, 2 safety, 3 twins; 4 loop contracts, devalidation, 2 lemma twins.
        #expect(Self.names.count == 3 + XenOperation.allCases.count * 3 + 2 + 3 + 4 + 1 + 2)
        // Inductive obligations need a size; unknown patterns are named.
        #expect(throws: ProofSelection.UnknownName.self) { try ProofSelection.select(only: ["inductive"], twins: true) }
        #expect(throws: ProofSelection.UnknownName.self) { try ProofSelection.select(only: ["no-such-*"], twins: true, config: config) }
        #expect(try ProofSelection.select(only: ["walk-limit"], twins: true).map(\.name) == ["walk-limit"])
    }
}

/// The CTI workflow (issue #11, item 4): the pre-state of each refuted twin is written as a
/// state file and `reach` decides it: reachable for the two real bugs (with a trace that
/// replays), unreachable at this size for the weakened invariant.
@Suite struct ReachTests {
    static func cti(_ name: String) throws -> (CheckSpec, XenState) {
        let spec = try EnginesTests.load("hypervisor-small.yaml")
        let o = try #require(try ProofSelection.select(only: [name], twins: true, config: spec.config, entryFlags: spec.entryFlags).first)
        let r = try Prover().run(o)
        let state = try #require(r.firstRefuted?.counterexampleState, "\(ProofReport.line(r))")
        // Through a state file, as the command line does.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mmucheck-cti-\(name)-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try StateFile.write(state, obligation: name, to: file)
        let loaded = try StateFile.load(file: file)
        #expect(loaded == state)
        return (spec, loaded)
    }

    @Test(arguments: ["mmu-update-preserves-validated-entries-twin-old-fast-path",
                      "mmu-update-preserves-validated-entries-twin-allow-writable-l1-to-pagetable"])
    func aRealBugsCTIIsReachableAndItsTraceReplays(_ name: String) throws {
        let (spec, state) = try Self.cti(name)
        let out = try Reach.run(spec, target: state, options: spec.explorerOptions)
        #expect(out.verdict == "reachable" && out.exitCode == 1)
        let trace = try #require(out.trace)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mmucheck-reach-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try TraceFile.write(trace, to: file)
        let replay = try Replay.run(try TraceReader.load(file: file))
        #expect(replay.steps.map(\.action) == trace.actions)
        #expect(replay.steps.allSatisfy { $0.result == "ok" })
        // The trace names reach's pseudo-invariant: replayed without a verdict on it (no
        // "NOT reproduced"), while an unknown invariant is refused (ReplayDefectTests).
        #expect(trace.invariant == Reach.targetInvariant && replay.trace.invariant == nil)
    }

    @Test func aWeakInvariantsCTIIsUnreachable() throws {
        let (spec, state) = try Self.cti("inv-implies-no-writable-pagetable-twin-without-counts-match")
        let out = try Reach.run(spec, target: state, options: spec.explorerOptions)
        #expect(out.verdict == "unreachable at this size" && out.exitCode == 0)
        // A bound makes the same question incomplete, never "unreachable".
        var bounded = spec.explorerOptions
        bounded.maxDepth = 2
        #expect(try Reach.run(spec, target: state, options: bounded).exitCode == 3)
    }

    @Test func aStateOfAnotherSizeIsBadInput() throws {
        let (_, state) = try Self.cti("inv-implies-no-writable-pagetable-twin-without-counts-match")
        let other = try EnginesTests.load("quick/hypervisor-tiny.yaml")
        #expect(throws: SpecError.self) { try Reach.run(other, target: state, options: other.explorerOptions) }
    }
}

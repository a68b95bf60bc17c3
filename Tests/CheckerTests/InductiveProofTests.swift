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

    static func run(_ name: String, _ file: String) throws -> ObligationResult {
        let config = try EnginesTests.load(file).config
        let o = try #require(try ProofSelection.select(only: [name], twins: true, config: config).first)
        return try Prover().run(o)
    }

    @Test(arguments: names)
    func obligationAtTheInductiveSpecsSize(_ name: String) throws {
        let r = try Self.run(name, "hypervisor-inductive.yaml")
        #expect(r.verdict == .holds, "\(ProofReport.line(r))")
    }

    @Test(arguments: names)
    func obligationAtTheSmallSpecsSize(_ name: String) throws {
        let r = try Self.run(name, "hypervisor-small.yaml")
        #expect(r.verdict == .holds, "\(ProofReport.line(r))")
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

    @Test func selectionByGlobGroupAndSize() throws {
        let config = try EnginesTests.load("hypervisor-small.yaml").config
        let steps = try ProofSelection.select(only: ["mmu-update-*"], twins: false, config: config).map(\.name)
        #expect(steps == ["mmu-update-preserves-well-typed", "mmu-update-preserves-validated-entries", "mmu-update-preserves-counts-match",
                          "mmu-update-preserve-ad-preserves-well-typed", "mmu-update-preserve-ad-preserves-validated-entries",
                          "mmu-update-preserve-ad-preserves-counts-match", "mmu-update-machphys-preserves-well-typed",
                          "mmu-update-machphys-preserves-validated-entries", "mmu-update-machphys-preserves-counts-match"])
        #expect(try ProofSelection.select(only: ["inductive"], twins: true, config: config).count == Self.names.count)
        #expect(Self.names.count == 3 + XenOperation.allCases.count * 3 + 2 + 3)
        // Inductive obligations need a size; unknown patterns are named.
        #expect(throws: ProofSelection.UnknownName.self) { try ProofSelection.select(only: ["inductive"], twins: true) }
        #expect(throws: ProofSelection.UnknownName.self) { try ProofSelection.select(only: ["no-such-*"], twins: true, config: config) }
        #expect(try ProofSelection.select(only: ["walk-limit"], twins: true).map(\.name) == ["walk-limit"])
    }
}

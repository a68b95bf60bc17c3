import Foundation
import MMUSpec
import Testing
@testable import Checker

/// The quick spec set, explored in-process: verdicts and determinism.
@Suite struct QuickSetTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../specs/quick").standardized.path

    @Test func tinyHypervisorHoldsCompletelyAndDeterministically() throws {
        let spec = try SpecLoader.load(file: Self.dir + "/hypervisor-tiny.yaml")
        let a = ExploreRun.run(spec, options: spec.explorerOptions)
        let b = ExploreRun.run(spec, options: spec.explorerOptions)
        #expect(a.verdict == "holds" && a.complete)
        #expect(a.stats.distinctStates == b.stats.distinctStates && a.stats.transitions == b.stats.transitions)
    }

    @Test func symmetryKeepsTheVerdictAndReducesTheCount() throws {
        var spec = try SpecLoader.load(file: Self.dir + "/hypervisor-tiny.yaml")
        spec.symmetry = true
        let on = ExploreRun.run(spec, options: spec.explorerOptions)
        spec.symmetry = false
        let off = ExploreRun.run(spec, options: spec.explorerOptions)
        #expect(on.verdict == off.verdict)
        #expect(on.stats.distinctStates < off.stats.distinctStates)
        #expect(on.stats.depth == off.stats.depth)
    }

    /// A violation survives symmetry reduction: same invariant, same shortest depth.
    @Test func symmetryKeepsAViolationAndItsDepth() throws {
        var spec = try SpecLoader.load(file: Self.dir + "/hypervisor-tiny.yaml")
        spec.symmetry = true
        let on = ExploreRun.run(spec, options: spec.explorerOptions, hypervisorMutations: [.allowWritableL1ToPagetable])
        spec.symmetry = false
        let off = ExploreRun.run(spec, options: spec.explorerOptions, hypervisorMutations: [.allowWritableL1ToPagetable])
        let a = try #require(on.violations.first), b = try #require(off.violations.first)
        #expect(a.invariant == b.invariant && a.actions.count == b.actions.count)
    }

    @Test func depthBoundedSpecIsIncomplete() throws {
        let spec = try SpecLoader.load(file: Self.dir + "/hypervisor-3-level.yaml")
        let o = ExploreRun.run(spec, options: spec.explorerOptions)
        #expect(o.incomplete == .depthLimit && o.violations.isEmpty && o.exitCode == 3)
    }
}

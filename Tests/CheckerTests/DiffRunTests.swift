import Foundation
@testable import MMUFast
import MMUSpec
import Testing
@testable import Checker


/// The differential tester (DiffRun.swift): nothing found on the real fast engine, each
/// injected defect found (its known-false twins).
@Suite struct DiffRunTests {
    static func load(_ name: String) throws -> CheckSpec { try EnginesTests.load(name) }

    /// The differential tester on the real fast engine: many comparisons, no mismatch.
    @Test(arguments: ["quick/hypervisor-tiny.yaml", "hypervisor-small.yaml", "bench/hypervisor-3-frames.yaml", "hypervisor-compat-l3.yaml"])
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
    /// and the report names what differed (the compat L3 one on the spec that has those rules).
    @Test(arguments: FastDefect.allCases)
    func diffCatchesEachDefect(_ defect: FastDefect) throws {
        let spec = try Self.load(defect == .noCompatL3Adjust ? "hypervisor-compat-l3.yaml" : "hypervisor-small.yaml")
        let d = try DiffRun.run(spec, defects: [defect])
        let m = try #require(d.mismatch, "the differential tester missed \(defect.rawValue)")
        #expect(m.what.contains("counts") || m.what.contains("state") || m.what.contains("invariant"), "\(m.what)")
        #expect(d.exitCode == 1)
        #expect(!m.actions.isEmpty)
    }
}

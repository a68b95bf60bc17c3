import Foundation
import Testing
@testable import Checker
import MMUSpec

/// Issue #4's acceptance: with a hypervisor rule removed by hand (test-only
/// mutations, unreachable from spec files), `explore` on specs/hypervisor-small
/// finds the violation, and the trace it writes replays to the same violation.
@Suite struct MutationAcceptanceTests {
    static var specsDir: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../specs").standardized.path
    }

    @Test(arguments: [XenMutation.allowWritableL1ToPagetable, .oldFastPath])
    func removedRuleIsFoundAndItsTraceReplays(_ mutation: XenMutation) throws {
        let spec = try SpecLoader.load(file: Self.specsDir + "/hypervisor-small.yaml")
        let outcome = ExploreRun.run(spec, options: spec.explorerOptions, hypervisorMutations: [mutation])
        let v = try #require(outcome.violations.first, "no violation found with \(mutation.rawValue)")
        #expect(outcome.exitCode == 1)
        #expect(v.invariant == Invariant.noWritablePagetable.rawValue || v.invariant == Invariant.noPagetableFromWritable.rawValue
                || v.invariant == Invariant.validatedEntries.rawValue)

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mmucheck-trace-\(mutation.rawValue)-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try TraceFile.write(v, to: file)
        let loaded = try TraceReader.load(file: file)
        #expect(loaded.mutations == [mutation.rawValue])
        #expect(loaded.steps.count == v.actions.count)
        let replay = try Replay.run(loaded)
        #expect(replay.reproduced)
        #expect(replay.exitCode == 1)
        #expect(replay.steps.map(\.action) == v.actions)
        // Shortest: no invariant breaks before the last step.
        #expect(replay.steps.dropLast().allSatisfy { $0.broken.isEmpty })
    }

    @Test func theRealRulesHoldOnTheSameSpecWithinTheSameDepth() throws {
        var spec = try SpecLoader.load(file: Self.specsDir + "/hypervisor-small.yaml")
        spec.maxDepth = 4
        let outcome = ExploreRun.run(spec, options: spec.explorerOptions)
        #expect(outcome.violations.isEmpty)
        #expect(outcome.incomplete == .depthLimit)   // a bounded run is never reported as holding
        #expect(outcome.exitCode == 3)
    }

    @Test func malformedTracesAreBadInputWithLine() throws {
        let dir = FileManager.default.temporaryDirectory.path
        func load(_ text: String) -> SpecError? {
            let f = dir + "/mmucheck-bad-trace-\(getpid())-\(text.hashValue).json"
            defer { try? FileManager.default.removeItem(atPath: f) }
            try? text.write(toFile: f, atomically: true, encoding: .utf8)
            do { _ = try Replay.run(try TraceReader.load(file: f)); return nil } catch { return error }
        }
        let notJSON = load("{\n  \"#meta\": {\n    \"format\": \"mmucheck-trace\",\n  oops\n}")
        #expect(notJSON?.key == "json" && notJSON?.line == 4, "\(String(describing: notJSON))")
        let wrongFormat = load("{\n  \"#meta\" : {\n    \"format\" : \"itf\"\n  }\n}")
        #expect(wrongFormat?.key == "#meta.format" && wrongFormat?.line == 3)
        let cfg = #"{"levels":2,"entriesPerTable":2,"machineFrames":2,"pfns":2,"vcpus":1,"mms":0,"taskSize":16384,"fixaddrTop":16384,"recursiveEntries":true,"preserveAD":true,"saveRestore":false,"multicallBatch":32}"#
        let badAction = load("""
        {
          "#meta" : { "format" : "mmucheck-trace", "version" : 1, "model" : "hypervisor", "config" : \(cfg) },
          "actions" : [
            {
              "action" : "pin(level: 9, mfn: 0) @v0",
              "index" : 5,
              "step" : 1
            }
          ]
        }
        """)
        #expect(badAction?.key == "actions[0]" && badAction?.line == 7, "\(String(describing: badAction))")
    }
}

/// The guest level (issue #12, item 3): each concurrency mechanism of the seed earns its place.
/// With one removed (test-only mutations re-creating real Linux bugs), `explore` on
/// specs/guest-pte-updates finds a shortest counterexample whose trace replays to the same violation;
/// with the mechanism in place, the same exploration to the same depth finds nothing.
@Suite struct GuestMutationAcceptanceTests {
    /// The shipped spec each mutation is sought on: the cr3 races need a second mm
    /// (specs/guest-two-mms); the PTE lock needs PTE updates (specs/guest-pte-updates).
    static func specFile(_ m: GuestMutation) -> String {
        switch m {
        case .skipLockPTE: "guest-pte-updates.yaml"
        case .skipDropMMRef, .skipCurrentCR3Scan: "guest-two-mms.yaml"
        case .convertNonPresentEntries: "guest-mprotect.yaml"
        }
    }

    /// What each mutation's counterexample must show.
    static func expectShape(_ m: GuestMutation, _ v: TraceRecord) {
        switch m {
        case .skipDropMMRef, .skipCurrentCR3Scan:
            // Another CPU still has the table loaded in Xen when exit-mmap unpins it.
            #expect(["no-failed-hypercall", "no-stale-cr3"].contains(v.invariant), "\(v.invariant): \(v.message)")
            #expect(v.actions.contains { $0.hasPrefix("exit-mmap") })
            if m == .skipCurrentCR3Scan {
                // Only a CPU that has left the mm's cpu_vm_mask with its cr3 load not yet done
                // by Xen escapes drop_mm_ref without the scan: that needs a second mm.
                #expect(v.actions.contains { $0.contains("mm: 2") })
            }
        case .skipLockPTE:
            // A plain store lands on a PTE page between its read-only remap and its pin (or
            // between its unpin and its read-write remap): the store faults.
            #expect(v.invariant == "no-failed-hypercall", "\(v.invariant): \(v.message)")
            #expect(v.message.contains("faulted"), "\(v.message)")
            #expect(v.actions.last?.hasPrefix("set-pte-at") == true)
            #expect(v.actions.contains { $0.hasPrefix("multicall-entry") })
        case .convertNonPresentEntries:
            // The swap entry is stored translated (its offset is no pfn: INVALID).
            #expect(v.invariant == "p2m-roundtrip", "\(v.invariant): \(v.message)")
            #expect(v.message.contains("is not present"), "\(v.message)")
            #expect(v.actions.contains { $0.hasPrefix("set-pte-at") })
        }
    }

    @Test(arguments: GuestMutation.allCases)
    func removedMechanismIsFoundAndItsTraceReplays(_ m: GuestMutation) throws {
        let spec = try SpecLoader.load(file: MutationAcceptanceTests.specsDir + "/" + Self.specFile(m))
        let outcome = ExploreRun.run(spec, options: spec.explorerOptions, guestMutations: [m])
        let v = try #require(outcome.violations.first, "no violation found with \(m.rawValue)")
        Self.expectShape(m, v)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mmucheck-guest-trace-\(m.rawValue)-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try TraceFile.write(v, to: file)
        let replay = try Replay.run(try TraceReader.load(file: file))
        #expect(replay.reproduced && replay.exitCode == 1)
        #expect(replay.steps.map(\.action) == v.actions)
        #expect(replay.steps.dropLast().allSatisfy { $0.broken.isEmpty })

        // vCPU symmetry (on by default) keeps the verdict and the shortest counterexample's
        // length: explored without it to the same depth, the same invariant breaks at the same
        // length and not before.
        var bounded = spec
        bounded.maxDepth = v.actions.count
        var noSymmetry = bounded.explorerOptions
        noSymmetry.symmetry = false
        let unreduced = ExploreRun.run(bounded, options: noSymmetry, guestMutations: [m])
        let u = try #require(unreduced.violations.first, "without symmetry, nothing breaks within \(v.actions.count) steps")
        #expect(u.actions.count == v.actions.count && u.invariant == v.invariant)
        #expect(spec.explorerOptions.symmetry && !unreduced.symmetry && outcome.symmetry)

        // The mechanism in place: nothing breaks within the same depth.
        let clean = ExploreRun.run(bounded, options: bounded.explorerOptions)
        #expect(clean.violations.isEmpty, "\(clean.violations.first.map { "\($0.invariant): \($0.message)" } ?? "")")
        #expect(clean.stats.depth == v.actions.count)
    }

    /// specs/guest-two-mms is small enough to explore whole in a test: with every mechanism
    /// in place it holds.
    @Test func twoMMsHoldWithEveryMechanism() throws {
        let spec = try SpecLoader.load(file: MutationAcceptanceTests.specsDir + "/guest-two-mms.yaml")
        let outcome = ExploreRun.run(spec, options: spec.explorerOptions)
        #expect(outcome.verdict == "holds", "\(outcome.violations.first.map { "\($0.invariant): \($0.message)" } ?? "")")
        #expect(outcome.stats.distinctStates > 1000)
        // The same verdict without vCPU symmetry, on more states and to the same depth.
        var options = spec.explorerOptions
        options.symmetry = false
        let unreduced = ExploreRun.run(spec, options: options)
        #expect(unreduced.verdict == "holds")
        #expect(unreduced.stats.distinctStates > outcome.stats.distinctStates && unreduced.stats.depth == outcome.stats.depth)
    }
}

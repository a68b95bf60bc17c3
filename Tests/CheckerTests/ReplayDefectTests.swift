import Foundation
import Testing
@testable import Checker
import MMUSpec

/// Issue #13, item 5: the replay defects found while writing scenarios, each with a test that
/// failed before the fix. The input is the golden guest trace (a real `explore` trace) edited
/// the way a user would.
@Suite struct ReplayDefectTests {
    static var goldenTrace: String {
        get throws { try String(contentsOf: GoldenRunTests.goldenDir.appendingPathComponent("trace-skip-drop-mm-ref.json"), encoding: .utf8) }
    }

    /// Writes `text` to a temporary trace file and loads it.
    static func load(_ text: String, _ name: String) throws(SpecError) -> LoadedTrace {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mmucheck-replay-\(name)-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
        return try TraceReader.load(file: file)
    }

    static func error(_ text: String, _ name: String) -> SpecError? {
        do { _ = try load(text, name); return nil } catch { return error }
    }

    @Test("a guest trace naming a hypervisor mutation is refused at its line, not replayed without it")
    func otherLevelMutationIsRefused() throws {
        let text = try Self.goldenTrace.replacingOccurrences(of: "\"skip-drop-mm-ref\"", with: "\"skip-drop-mm-ref\", \"old-fast-path\"")
        let e = try #require(Self.error(text, "xen-mutation"))
        #expect(e.key == "#meta.mutations" && e.message.contains("hypervisor mutation"), "\(e)")
        #expect(e.line == text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("old-fast-path") }.map { $0 + 1 })
    }

    @Test("an invariant the model does not have is refused (it replayed as 'NOT reproduced', exit 0)")
    func unknownInvariantIsRefused() throws {
        let text = try Self.goldenTrace.replacingOccurrences(of: "\"invariant\" : \"no-stale-cr3\"", with: "\"invariant\" : \"no-such-thing\"")
        let e = try #require(Self.error(text, "invariant"))
        #expect(e.key == "#meta.invariant" && e.line == 27, "\(e)")
        // A guest invariant in a hypervisor-level check would be as wrong: the list is per level.
        #expect(e.message.contains("page-pinned-agrees"))
        // reach's pseudo-invariant exists at the hypervisor level only.
        let reachName = try Self.goldenTrace.replacingOccurrences(of: "\"invariant\" : \"no-stale-cr3\"",
                                                                  with: "\"invariant\" : \"\(Reach.targetInvariant)\"")
        #expect(Self.error(reachName, "reach-name")?.key == "#meta.invariant")
    }

    @Test("error lines are right however the JSON is spaced")
    func linesWithOtherSpacing() throws {
        // Step 3's index made invalid, with `"step": 3` spacing instead of the tool's `"step" : 3`.
        var text = try Self.goldenTrace.replacingOccurrences(of: "\"step\" : ", with: "\"step\":")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let stepLine = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "\"step\":3" })
        var edited = lines
        #expect(edited[stepLine - 1].contains("\"index\""))
        edited[stepLine - 1] = "      \"index\" : -1,"
        text = edited.joined(separator: "\n")
        let e = try #require(Self.error(text, "spacing"))
        #expect(e.key == "actions[2].index" && e.line == stepLine + 1, "\(e) (expected line \(stepLine + 1))")
    }

    @Test("operations the explorer never offers replay: pgd-pin, pgd-unpin and set-phys-to-machine at guest level, tlb-flush at the hypervisor level")
    func unofferedOperationsReplay() throws {
        let golden = try Self.goldenTrace
        let head = String(golden[..<golden.range(of: "\"actions\" : [")!.lowerBound])
            .replacingOccurrences(of: "\"skip-drop-mm-ref\"", with: "")
            .replacingOccurrences(of: "\"invariant\" : \"no-stale-cr3\"", with: "\"invariant\" : \"p2m-roundtrip\"")
        func step(_ n: Int, _ action: String) -> String { "{\"step\" : \(n), \"index\" : 0, \"action\" : \"\(action)\"}" }
        // Boot maps pfn p to mfn 9 - p: pointing pfn 9 at pfn 0's frame breaks the round trip.
        let actions = [step(1, "mm-alloc(cpu: 0, mm: 1)"), step(2, "pgd-pin(cpu: 0, mm: 1)"),
                       step(3, "multicall-entry(cpu: 0)"), step(4, "set-phys-to-machine(pfn: 9, mfn: 9)")]
        let text = head + "\"actions\" : [\n" + actions.joined(separator: ",\n") + "\n]\n}\n"
        let replay = try Replay.run(try Self.load(text, "unoffered"))
        #expect(replay.steps.map(\.action) == ["mm-alloc(cpu: 0, mm: 1)", "pgd-pin(cpu: 0, mm: 1)",
                                                "multicall-entry(cpu: 0)", "set-phys-to-machine(pfn: 9, mfn: 9)"])
        #expect(replay.steps[1].result == "ok" && replay.steps[1].broken.isEmpty)
        #expect(replay.reproduced && replay.exitCode == 1)

        let small = try SpecLoader.load(file: MutationAcceptanceTests.specsDir + "/hypervisor-small.yaml")
        let o = ExploreRun.run(small, options: small.explorerOptions, engine: .spec, hypervisorMutations: [.allowWritableL1ToPagetable])
        let v = try #require(o.violations.first)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mmucheck-replay-tlb-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try TraceFile.write(v, to: file)
        var trace = try String(contentsOfFile: file, encoding: .utf8)
        trace = trace.replacingOccurrences(of: "\"actions\" : [", with: "\"actions\" : [\n{\"step\" : 0, \"index\" : 0, \"action\" : \"tlb-flush() @v0\"},")
        try trace.write(toFile: file, atomically: true, encoding: .utf8)
        let r = try Replay.run(try TraceReader.load(file: file))
        #expect(r.steps.first?.action == "tlb-flush() @v0" && r.steps.first?.result == "ok")
        #expect(r.reproduced)
    }

    @Test("hypercalls print as actions do (hex addresses, Xen's flag names), not Swift's reflection")
    func hypercallsPrintAsActions() {
        let c = Hypercall.updateVAMapping(va: 0x10000, val: .none, flush: .none)
        #expect("\(c)" == "update-va-mapping(va: 0x10000, val: 0, flush: UVMF_NONE)")
        #expect(!"\(Hypercall.mmuUpdate([.preserveAD(ptr: EntryRef(mfn: 1, slot: 0), val: .none)]))".contains("MMUSpec."))
    }
}

/// Issue #13, item 6: `replay --show-state` shows what each step left behind.
@Suite struct ReplayShowStateTests {
    @Test("guest: every step shows Xen's frames and cr3s, the p2m, the mms and each CPU's mm, lazy mode, cr3s and multicalls in flight")
    func guestStates() throws {
        let file = GoldenRunTests.goldenDir.appendingPathComponent("trace-skip-drop-mm-ref.json").path
        let t = try TraceReader.load(file: file)
        let plain = try Replay.run(t)
        #expect(plain.steps.allSatisfy { $0.state.isEmpty } && plain.initialState.isEmpty)
        let r = try Replay.run(t, showState: true)
        #expect(r.initialState.contains { $0.hasPrefix("frame 0: ") } && r.initialState.contains { $0.hasPrefix("p2m: ") })
        for s in r.steps {
            #expect(s.state.filter { $0.hasPrefix("frame ") }.count == t.spec.config.machineFrames)
            #expect(s.state.filter { $0.hasPrefix("cpu ") }.count == t.spec.config.vcpus)
            #expect(s.state.contains { $0.hasPrefix("cr3: v0 ") } && s.state.contains { $0.hasPrefix("mm 0 (init_mm): pgd ") })
        }
        // activate-mm (step 2) leaves its pin batch in flight on cpu 0: the state says so.
        #expect(r.steps[1].state.contains { $0.hasPrefix("cpu 0: ") && $0.contains("in flight") && $0.contains("pin") })
        // The same verdicts as without the rendering.
        #expect(r.steps.map(\.broken.count) == plain.steps.map(\.broken.count))
    }

    @Test("hypervisor: the fast engine's states render exactly as the spec's, step by step")
    func enginesRenderAlike() throws {
        let file = GoldenRunTests.goldenDir.appendingPathComponent("trace-allow-writable-l1-to-pagetable-fast.json").path
        let t = try TraceReader.load(file: file)
        let spec = try Replay.run(t, engine: .spec, showState: true)
        let fast = try Replay.run(t, engine: .fast, showState: true)
        #expect(fast.engine == "fast" && !spec.steps.isEmpty)
        #expect(spec.steps.map(\.state) == fast.steps.map(\.state))
        #expect(spec.steps.last?.state.contains { $0.contains("type L") } == true)
    }
}

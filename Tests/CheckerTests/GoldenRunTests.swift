import Foundation
import Testing
@testable import Checker
import MMUFast
import MMUSpec

/// Refactoring guard: the explored counts and the traces of the shipped specs, byte for byte,
/// as recorded in `Tests/CheckerTests/Golden/` (recorded before the reshaping of issue #10 and
/// kept since). A change that is meant to alter behaviour re-records them on purpose:
///
///     MMUCHECK_RECORD_GOLDEN=1 swift test --filter GoldenRunTests
///
/// and the diff of the golden files is then part of the commit, for a reviewer to read.
/// `scripts/golden-counts.sh` does the same for the release binary on every shipped spec,
/// the bench specs included.
@Suite struct GoldenRunTests {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    }
    static var goldenDir: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden") }
    static var recording: Bool { ProcessInfo.processInfo.environment["MMUCHECK_RECORD_GOLDEN"] == "1" }

    /// Compares `text` with the golden file `name` (or writes it when recording).
    static func expectGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = goldenDir.appendingPathComponent(name)
        if recording {
            try FileManager.default.createDirectory(at: goldenDir, withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        var expected = try String(contentsOf: url, encoding: .utf8)
        if name.hasSuffix(".json"), let data = expected.data(using: .utf8),
           let object = try? JSONSerialization.jsonObject(with: data) {
            // Recorded by a process whose `Set`s came out in another order: compare sorted.
            expected = jsonText(sortingSets(object)) + "\n"
        }
        if text != expected {
            let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let b = text.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
            Issue.record("\(name) differs from the golden file at line \(first + 1): expected \(first < a.count ? String(a[first]) : "<end>"), got \(first < b.count ? String(b[first]) : "<end>")",
                         sourceLocation: sourceLocation)
        }
    }

    static func load(_ relative: String) throws -> CheckSpec {
        try SpecLoader.load(file: root.appendingPathComponent(relative).path)
    }

    /// One line of counts per run.
    static func line(_ label: String, _ o: ExploreOutcome) -> String {
        "\(label): engine \(o.engine), \(o.verdict), states \(o.stats.distinctStates), transitions \(o.stats.transitions), depth \(o.stats.depth)"
            + (o.violations.first.map { ", first violation \($0.invariant) at depth \($0.actions.count)" } ?? "")
    }

    static let hypervisorSpecs = ["specs/hypervisor-small.yaml", "specs/quick/hypervisor-tiny.yaml", "specs/quick/hypervisor-3-level.yaml"]

    @Test func hypervisorCountsAreUnchanged() throws {
        var lines: [String] = []
        for file in Self.hypervisorSpecs {
            let spec = try Self.load(file)
            for engine in [CheckSpec.Engine.fast, .spec] {
                for symmetry in [true, false] {
                    for merge in [true, false] {
                        // The spec engine without any reduction is slow in debug builds: the fast
                        // engine's counts cover that combination (the two agree, EnginesTests).
                        if engine == .spec && !symmetry && file.hasSuffix("small.yaml") { continue }
                        var s = spec
                        s.mergeStaleTypes = merge
                        var options = s.explorerOptions
                        options.symmetry = symmetry
                        let o = ExploreRun.run(s, options: options, engine: engine)
                        lines.append(Self.line("\(file) symmetry \(symmetry) merge-stale-types \(merge)", o))
                    }
                }
            }
        }
        try Self.expectGolden(lines.joined(separator: "\n") + "\n", "hypervisor-counts.txt")
    }

    @Test func guestCountsAreUnchanged() throws {
        var spec = try Self.load("specs/guest-pte-updates.yaml")
        var lines: [String] = []
        for depth in [5, 7] {
            spec.maxDepth = depth
            let o = ExploreRun.run(spec, options: spec.explorerOptions)
            lines.append(Self.line("specs/guest-pte-updates.yaml depth \(depth)", o))
        }
        try Self.expectGolden(lines.joined(separator: "\n") + "\n", "guest-counts.txt")
    }

    /// The trace file's text with the machine-specific spec path made relative, and the guest
    /// state's `Set` fields sorted: `JSONEncoder` writes a `Set` in hash order, which varies from
    /// process to process unless hashing is deterministic (the `mmucheck` binary re-executes
    /// itself so that it is; a test process is not).
    static func traceText(_ t: TraceRecord, specFile: String) -> String {
        var object = TraceFile.object(t)
        if var meta = object["#meta"] as? [String: Any] { meta["spec"] = specFile; object["#meta"] = meta }
        return jsonText(sortingSets(object)) + "\n"
    }

    static let setFields: Set<String> = ["pagePinned", "savePinned", "cpuVMMask", "heldPTELocks"]

    static func sortingSets(_ x: Any, key: String? = nil) -> Any {
        if let d = x as? [String: Any] {
            return Dictionary(uniqueKeysWithValues: d.map { ($0.key, sortingSets($0.value, key: $0.key)) })
        }
        if let a = x as? [Any] {
            if let key, setFields.contains(key), let ints = a as? [Int] { return ints.sorted() }
            return a.map { sortingSets($0) }
        }
        return x
    }

    @Test(arguments: [XenMutation.allowWritableL1ToPagetable, .oldFastPath])
    func hypervisorTracesAreUnchanged(_ mutation: XenMutation) throws {
        let file = "specs/hypervisor-small.yaml"
        let spec = try Self.load(file)
        for engine in [CheckSpec.Engine.spec, .fast] {
            let o = ExploreRun.run(spec, options: spec.explorerOptions, engine: engine, hypervisorMutations: [mutation])
            #expect(!o.violations.isEmpty)
            let text = o.violations.map { Self.traceText($0, specFile: file) }.joined()
            try Self.expectGolden(text, "trace-\(mutation.rawValue)-\(engine.rawValue).json")
        }
    }

    @Test func guestTraceIsUnchanged() throws {
        let file = "specs/guest-pte-updates.yaml"
        let spec = try Self.load(file)
        let o = ExploreRun.run(spec, options: spec.explorerOptions, guestMutations: [.skipDropMMRef])
        #expect(!o.violations.isEmpty)
        try Self.expectGolden(o.violations.map { Self.traceText($0, specFile: file) }.joined(), "trace-skip-drop-mm-ref.json")
    }
}

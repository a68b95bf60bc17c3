import Foundation
import Testing
@testable import Checker
import MMUSpec

/// Malformed spec files: each gives file, line and key (the command line turns
/// a `SpecError` into exit 2).
@Suite struct SpecLoaderTests {
    static let good = """
    name: t
    model: hypervisor
    sizes:
      levels: 2
      entries-per-table: 2
      machine-frames: 2
    checks: [explore]
    """

    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let text: String
        let line: Int
        let key: String
        var testDescription: String { label }
    }

    static let malformed: [Case] = [
        Case(label: "unknown top-level key", text: good + "\nfrobnicate: 3\n", line: 8, key: "frobnicate"),
        Case(label: "unknown size key", text: good.replacingOccurrences(of: "  machine-frames: 2", with: "  machine-frame: 2"),
             line: 6, key: "sizes.machine-frame"),
        Case(label: "size of the wrong type", text: good.replacingOccurrences(of: "levels: 2", with: "levels: two"),
             line: 4, key: "sizes.levels"),
        Case(label: "levels out of range", text: good.replacingOccurrences(of: "levels: 2", with: "levels: 7"),
             line: 4, key: "sizes.levels"),
        Case(label: "machine frames out of range", text: good.replacingOccurrences(of: "machine-frames: 2", with: "machine-frames: 0"),
             line: 6, key: "sizes.machine-frames"),
        Case(label: "unknown model", text: good.replacingOccurrences(of: "model: hypervisor", with: "model: kvm"),
             line: 2, key: "model"),
        Case(label: "unknown operation", text: good + "\noperations: [pin, unpin, frob]\n", line: 8, key: "operations"),
        Case(label: "unknown invariant", text: good + "\ninvariants:\n  - counts-match\n  - no-such-thing\n", line: 10, key: "invariants"),
        Case(label: "bad bound", text: good + "\nbounds:\n  depth: -1\n", line: 9, key: "bounds.depth"),
        Case(label: "boolean expected", text: good + "\nsymmetry: maybe\n", line: 8, key: "symmetry"),
        Case(label: "unknown check kind", text: good.replacingOccurrences(of: "checks: [explore]", with: "checks: [explore, fuzz]"),
             line: 7, key: "checks"),
        Case(label: "YAML syntax error", text: "name: t\nmodel: [hypervisor\nsizes: 3\n", line: 3, key: "yaml"),
        Case(label: "unknown flag", text: good + "\nentry-flags:\n  - [present, writable]\n", line: 9, key: "entry-flags"),
        Case(label: "unknown proof", text: good + "\nproofs: [walk-limit, walk-limits]\n", line: 8, key: "proofs"),
        Case(label: "missing model", text: "name: t\nsizes:\n  levels: 2\n", line: 1, key: "model"),
        Case(label: "empty check list", text: good.replacingOccurrences(of: "checks: [explore]", with: "checks: []"),
             line: 7, key: "checks"),
        Case(label: "operation the explorer never generates", text: good + "\noperations: [tlb-flush]\n", line: 8, key: "operations"),
        Case(label: "quoted number", text: good.replacingOccurrences(of: "levels: 2", with: "levels: \"2\""),
             line: 4, key: "sizes.levels"),
        Case(label: "duplicate invariant", text: good + "\ninvariants: [counts-match, counts-match]\n", line: 8, key: "invariants"),
        Case(label: "unknown engine", text: good + "\nengine: turbo\n", line: 8, key: "engine"),
        Case(label: "unknown proof encoding", text: good + "\nproof-encoding: lazy\n", line: 8, key: "proof-encoding"),
        Case(label: "proof encoding on the guest model",
             text: "name: g\nmodel: guest\nsizes:\n  levels: 3\n  entries-per-table: 4\n  machine-frames: 10\n  pfns: 10\n  task-size: 65536\n  fixaddr-top: 131072\nproof-encoding: modular\n",
             line: 10, key: "proof-encoding"),
        Case(label: "fast engine for the guest model",
             text: "name: g\nmodel: guest\nsizes:\n  levels: 3\n  entries-per-table: 4\n  machine-frames: 10\n  pfns: 10\n  task-size: 65536\n  fixaddr-top: 131072\nengine: fast\n",
             line: 10, key: "engine"),
        Case(label: "fast engine on a configuration too large for it",
             text: good.replacingOccurrences(of: "machine-frames: 2", with: "machine-frames: 16").replacingOccurrences(of: "entries-per-table: 2", with: "entries-per-table: 8") + "\nengine: fast\n",
             line: 8, key: "engine"),
        Case(label: "diff on the guest model",
             text: "name: g\nmodel: guest\nsizes:\n  levels: 3\n  entries-per-table: 4\n  machine-frames: 10\n  pfns: 10\n  task-size: 65536\n  fixaddr-top: 131072\nchecks: [diff]\n",
             line: 10, key: "checks"),
        Case(label: "diff setting out of range", text: good + "\ndiff:\n  steps: 0\n", line: 9, key: "diff.steps"),
        Case(label: "unknown diff key", text: good + "\ndiff:\n  rounds: 3\n", line: 9, key: "diff.rounds"),
        Case(label: "preserve-ad listed with the feature off",
             text: good + "\nfeatures:\n  preserve-ad: false\noperations: [mmu-update, mmu-update-preserve-ad]\n", line: 10, key: "operations"),
        Case(label: "operations and operations-except together",
             text: good + "\noperations: [pin]\noperations-except: [unpin]\n", line: 9, key: "operations-except"),
        Case(label: "operations-except naming an operation never generated",
             text: good + "\noperations-except: [tlb-flush]\n", line: 8, key: "operations-except"),
    ]

    @Test(arguments: malformed)
    func malformedSpecNamesFileLineAndKey(_ c: Case) {
        do {
            _ = try SpecLoader.parse(c.text, file: "bad.yaml")
            Issue.record("\(c.label): accepted")
        } catch {
            #expect(error.file == "bad.yaml")
            #expect(error.line == c.line, "\(c.label): \(error)")
            #expect(error.key == c.key, "\(c.label): \(error)")
            #expect(error.description.hasPrefix("bad.yaml:\(c.line): \(c.key): "))
        }
    }

    @Test func taskSizeAboveFixaddrTopIsRejectedAtItsLine() {
        let text = Self.good.replacingOccurrences(of: "  machine-frames: 2", with: "  machine-frames: 2\n  fixaddr-top: 8192\n  task-size: 12288")
        #expect(throws: SpecError(file: "x.yaml", line: 8, key: "sizes.task-size",
                                  message: "must not exceed fixaddr-top 8192 (got 12288)")) {
            _ = try SpecLoader.parse(text, file: "x.yaml")
        }
    }

    @Test func goodSpecParses() throws {
        let s = try SpecLoader.parse(Self.good + "\nbounds:\n  depth: 4\n  max-states: 1000\n", file: "ok.yaml")
        #expect(s.level == .hypervisor && s.config.levels == 2 && s.config.machineFrames == 2)
        #expect(s.maxDepth == 4 && s.maxStates == 1000 && s.checks == [.explore])
        #expect(s.checkedInvariants == Invariant.hypervisorLevel)
    }

    @Test func shippedSpecsAllLoad() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../specs").standardized.path
        let specs = try SpecLoader.load(paths: [dir])
        #expect(specs.count >= 3)
        #expect(specs.contains { $0.name == "seed-arithmetic" && $0.checks == [.prove] })
        #expect(specs.contains { $0.name == "hypervisor-small" })
    }

    @Test func missingPathIsBadInput() {
        #expect(throws: SpecError.self) { _ = try SpecLoader.load(paths: ["/nonexistent/specs"]) }
    }

    /// A list that leaves out an operation the explorer generates is allowed, with a warning
    /// at the key's line naming what is left out; `operations-except` says it on purpose and
    /// gets none, with the same operations.
    @Test func operationListsThatLeaveSomethingOutAreWarnedAbout() throws {
        let listed = try SpecLoader.parse(Self.good + "\noperations:\n  - mmu-update\n  - pin\n", file: "t.yaml")
        #expect(listed.warnings.count == 1)
        let w = try #require(listed.warnings.first)
        #expect(w.hasPrefix("t.yaml:8: warning: operations: "), "\(w)")
        #expect(w.contains("mmu-update-machphys") && w.contains("guest-store") && !w.contains("tlb-flush"), "\(w)")
        let except = try SpecLoader.parse(Self.good + "\noperations-except: [mmu-update-preserve-ad, mmu-update-machphys, unpin, new-baseptr, update-va-mapping, guest-store]\n",
                                          file: "t.yaml")
        #expect(except.warnings.isEmpty)
        #expect(except.operations.map(Set.init) == ["mmu-update", "pin"])
        #expect(try SpecLoader.parse(Self.good, file: "t.yaml").warnings.isEmpty)
        // proof-encoding where `check` runs no proof is said, with its line.
        let unused = try SpecLoader.parse(Self.good + "\nproof-encoding: modular\n", file: "t.yaml")
        #expect(unused.warnings.first?.hasPrefix("t.yaml:8: warning: proof-encoding: ") == true, "\(unused.warnings)")
        #expect(try SpecLoader.parse(Self.good.replacingOccurrences(of: "checks: [explore]", with: "checks: [explore, prove]")
                                     + "\nproof-encoding: modular\n", file: "t.yaml").warnings.isEmpty)
        // Every shipped spec says what it means: none warns.
        for file in ["hypervisor-small.yaml", "quick/hypervisor-3-level.yaml", "quick/hypervisor-tiny.yaml",
                     "bench/hypervisor-3-frames.yaml", "bench/hypervisor-4-frames.yaml", "guest-pae.yaml",
                     "guest-two-mms.yaml", "guest-mprotect.yaml", "guest-pte-updates.yaml", "guest-balloon.yaml", "guest-kernel-mappings.yaml",
                     "bench/guest-3-vcpus.yaml"] {
            #expect(try EnginesTests.load(file).warnings.isEmpty, "\(file)")
        }
    }
}

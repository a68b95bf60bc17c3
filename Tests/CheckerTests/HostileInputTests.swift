import Foundation
import Testing
@testable import Checker
import MMUSpec

/// Issue #14: each reproducer of the issue, with a test that failed on the code before the
/// fix (the CLI ones on the built binary). The fuzz campaign is `FuzzTests`.
@Suite struct HostileInputTests {
    static let root = CommandLineTests.root
    static var tmp: String { FileManager.default.temporaryDirectory.path }

    static func write(_ text: String, _ name: String) throws -> String {
        let f = tmp + "/mmucheck-hostile-\(getpid())-\(name)"
        try text.write(toFile: f, atomically: true, encoding: .utf8)
        return f
    }

    static func specError(_ text: String) -> SpecError? {
        do { _ = try SpecLoader.parse(text, file: "x.yaml"); return nil } catch { return error }
    }

    // MARK: 2. the cost of a spec before anything is built

    @Test("an action list that cannot fit is refused before it is built, naming the keys that drive it; duplicate entry-flags too")
    func costEstimate() {
        let huge = """
        model: hypervisor
        sizes: {levels: 4, entries-per-table: 8, machine-frames: 16, pfns: 16, vcpus: 4}
        entry-flags:
          - [present, rw]
          - [present]
        """
        let e = Self.specError(huge)
        #expect(e?.key == "entry-flags" && e?.line == 3, "\(String(describing: e))")
        #expect(e?.message.contains("sizes.machine-frames (16)") == true && e?.message.contains("actions") == true)
        let alias = "model: hypervisor\nentry-flags:\n  - &a [present, rw]\n  - *a\n"
        #expect(Self.specError(alias)?.message.contains("listed twice") == true)
        // Every shipped spec is within the estimate.
        let small = Self.specError("model: hypervisor\n")
        #expect(small == nil)
        var spec = CheckSpec(file: "x", name: "x", level: .hypervisor, config: MMUConfig(levels: 4, entriesPerTable: 8, machineFrames: 16, pfns: 16, vcpus: 4))
        spec.entryFlags = [[.present], [.present, .rw]]
        #expect(CostEstimate.hypervisorActions(spec) > CostEstimate.maxActions)
        #expect(CostEstimate.problem(spec, ceiling: 1 << 40) != nil)
    }

    /// The estimate is a second count of the adversary's action list: held to the list itself
    /// (`HypervisorModel.actionList`) on every shipped hypervisor spec and on variants with
    /// several vCPUs, narrowed operations and the compat rules.
    static func countDisagreement(_ count: (CheckSpec) -> Int) throws -> String? {
        var specs: [CheckSpec] = []
        for dir in ["", "quick/", "bench/"] {
            for f in InputPaths.yamlFiles(in: MutationAcceptanceTests.specsDir + "/" + dir) {
                let s = try SpecLoader.load(file: f)
                if s.level == .hypervisor { specs.append(s) }
            }
        }
        var wide = try SpecLoader.load(file: MutationAcceptanceTests.specsDir + "/hypervisor-small.yaml")
        wide.config.vcpus = 3
        specs.append(wide)
        for s in specs {
            let listed = HypervisorModel(spec: s).actionList.count
            if count(s) != listed { return "\(s.file) (vcpus \(s.config.vcpus)): estimated \(count(s)), listed \(listed)" }
        }
        return nil
    }

    @Test("the cost estimate counts exactly the actions the explorer lists; a count that forgets the vCPUs is caught")
    func costEstimateAgreesWithTheActionList() throws {
        #expect(try Self.countDisagreement(CostEstimate.hypervisorActions) == nil)
        #expect(try Self.countDisagreement { s in var one = s; one.config.vcpus = 1; return CostEstimate.hypervisorActions(one) } != nil)
    }

    // MARK: 3. output files

    @Test("a run that writes nothing leaves the output path as it was; FIFOs, devices and dangling links are refused; a written file keeps its mode")
    func outputFiles() throws {
        let dir = Self.tmp + "/mmucheck-out-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let priv = dir + "/priv.json"
        try "keep".write(toFile: priv, atomically: true, encoding: .utf8)
        chmod(priv, 0o600)
        var before = stat()
        stat(priv, &before)
        // No violation: nothing is written, the file is untouched (mode, inode, content).
        let r = try CommandLineTests().mmucheck(["explore", "specs/quick/hypervisor-tiny.yaml", "--quiet", "--trace-out", priv])
        #expect(r.code == 0)
        var after = stat()
        stat(priv, &after)
        #expect(after.st_ino == before.st_ino && after.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOfFile: priv, encoding: .utf8) == "keep")
        #expect(!FileManager.default.fileExists(atPath: dir + "/absent.json") && OutputFile.problem(dir + "/absent.json") == nil)
        // Written: the mode stays.
        try OutputFile.write("new\n", to: priv)
        stat(priv, &after)
        let written = try String(contentsOfFile: priv, encoding: .utf8)
        #expect(after.st_mode & 0o777 == 0o600 && written == "new\n")
        // A symlink to a file stays a symlink; its target is written.
        let link = dir + "/link.json"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "priv.json")
        try OutputFile.write("via link\n", to: link)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == "priv.json")
        #expect(try String(contentsOfFile: priv, encoding: .utf8) == "via link\n")
        // Refused without being touched.
        mkfifo(dir + "/fifo", 0o644)
        try FileManager.default.createSymbolicLink(atPath: dir + "/dangling", withDestinationPath: "nowhere")
        for p in [dir + "/fifo", "/dev/null", dir, dir + "/dangling", dir + "/no/such/dir/x.json", ""] {
            #expect(OutputFile.problem(p) != nil, "\(p)")
            #expect(throws: OutputFileError.self) { try OutputFile.write("x", to: p) }
        }
        var fifo = stat()
        lstat(dir + "/fifo", &fifo)
        #expect(fifo.st_mode & S_IFMT == S_IFIFO)
    }

    // MARK: 4, 6. signals and progress

    @Test("Ctrl-C and SIGTERM stop replay, diff and bench with their partial summary and exit 3")
    func signalsGiveIncomplete() throws {
        // A long trace: 100,000 tlb-flush steps, compact JSON (seconds to replay even optimised).
        let golden = try String(contentsOfFile: Self.root + "/Tests/CheckerTests/Golden/trace-old-fast-path-spec.json", encoding: .utf8)
        var t = try JSONSerialization.jsonObject(with: Data(golden.utf8)) as! [String: Any]
        var meta = t["#meta"] as! [String: Any]
        meta["mutations"] = [String]()
        meta["invariant"] = NSNull()
        t["#meta"] = meta
        t["actions"] = (1...100_000).map { ["step": $0, "index": 0, "action": "tlb-flush() @v0"] as [String: Any] }
        let trace = try Self.write(String(decoding: try JSONSerialization.data(withJSONObject: t), as: UTF8.self), "long.json")
        defer { try? FileManager.default.removeItem(atPath: trace) }
        for (args, sig) in [(["replay", trace], SIGINT),
                            (["diff", "specs/hypervisor-small.yaml", "--runs", "1000000", "--states", "0"], SIGTERM),
                            (["bench", "specs/bench/hypervisor-spin-2-levels.yaml", "--repeat", "3"], SIGINT)] {
            let r = try FuzzTests.run(args, seconds: 120, signal: sig, after: 1.0)
            #expect(r.code == 3, "\(args): exit \(r.code): \(r.out.suffix(300)) \(r.err.suffix(300))")
            if args[0] == "replay" {
                #expect(r.out.contains("interrupted (Ctrl-C) after") && r.out.contains("  0. initial state: all invariants hold"), "\(r.out.suffix(300))")
            } else {
                #expect(!r.out.isEmpty, "\(args): no summary")
            }
        }
    }

    // MARK: 7, 9. traces

    @Test("strict traces: BOM, trailing comma, true or 2.0 for an integer, a guest layout that does not fit are bad input", arguments: [
        ("bom", "json"), ("comma", "json"), ("version", "#meta.version"), ("index", "actions[0].index"), ("pfns", "#meta.config.pfns"),
        ("layout", "#meta.config.fixaddr-top"), ("unknown", "#meta.config.frames"),
    ])
    func strictTraces(_ what: String, _ key: String) throws {
        let guest = try String(contentsOfFile: Self.root + "/Tests/CheckerTests/Golden/trace-skip-drop-mm-ref.json", encoding: .utf8)
        var text = guest
        switch what {
        case "bom": text = "\u{FEFF}" + guest
        case "comma": text = guest.replacingOccurrences(of: "\"#meta\" : {", with: "\"#meta\" : {\n  \"x\" : 1,\n  \"y\" : [1, 2,],")
        case "version": text = guest.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : true")
        case "index": text = guest.replacingOccurrences(of: "\"index\" : ", with: "\"index\" : 1.0, \"was\" : ")
        case "pfns": text = guest.replacingOccurrences(of: "\"pfns\" : 10", with: "\"pfns\" : 10.0")
        case "layout": text = guest.replacingOccurrences(of: "\"fixaddrTop\" : 131072,\n      \"levels\"", with: "\"fixaddrTop\" : 65536,\n      \"levels\"")
        default: text = guest.replacingOccurrences(of: "\"fixaddrTop\" : 131072,\n      \"levels\"", with: "\"fixaddrTop\" : 131072,\n      \"frames\" : 3,\n      \"levels\"")
        }
        #expect(text != guest, "the edit did not apply")
        let f = try Self.write(text, "\(what).json")
        defer { try? FileManager.default.removeItem(atPath: f) }
        do {
            _ = try Replay.run(try TraceReader.load(file: f))
            Issue.record("accepted")
        } catch {
            #expect(error.key == key && error.line >= 1, "\(error)")
        }
    }

    // MARK: 8. control characters

    @Test("control characters never reach a terminal or JUnit raw; in a spec they are bad input at their line")
    func controlCharacters() {
        let esc = Self.specError("model: hypervisor\n# a \u{1B}[31mred\u{1B}[0m comment\n")
        #expect(esc?.line == 2 && esc?.key == "file" && esc?.message.contains("U+001B") == true, "\(String(describing: esc))")
        let nel = Self.specError("model: hypervisor\n# \u{85} NEL\nsizes: {levels: 9}\n")
        #expect(nel?.line == 2, "\(String(describing: nel))")
        let quoted = Self.specError("name: \"\\e[2J\"\nmodel: hypervisor\n")
        #expect(quoted?.key == "name" && quoted?.line == 1, "\(String(describing: quoted))")
        let empty = Self.specError("model: hypervisor\n\"\": 1\n")
        #expect(empty?.message.contains("an empty key") == true && empty?.line == 2)
        let e = SpecError(file: "a\u{1B}b.yaml", line: 1, key: "k", message: "m\u{7}")
        #expect(!e.description.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        let row = CheckRow(spec: "s\u{1B}[31m", file: "f", check: "explore", verdict: "failed", detail: "d\u{0}\u{8}<&>", seconds: 0, exitCode: 1)
        let xml = CheckRun.junit([row])
        #expect(!xml.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7F })
        #expect(xml.contains("s\\u{1B}[31m") && xml.contains("&lt;&amp;&gt;"))
    }

    // MARK: 10. a default ceiling

    @Test("without --memory-mb the ceiling is 80% of physical memory")
    func defaultCeiling() {
        let physical = ProcessInfo.processInfo.physicalMemory
        #expect(ExplorerOptions().memoryCeiling == UInt64(Double(physical) * 0.8))
        #expect(ExplorerOptions(maxMemoryBytes: 1 << 30).memoryCeiling == 1 << 30)
    }
}

/// Issue #14, item 11: the configuration an independent Promela model of Xen's rules explores
/// with SPIN, shipped as `specs/bench/hypervisor-spin-{2,3}-levels.yaml`; mmucheck reaches
/// exactly that model's state counts (so a speed comparison is on one state space).
@Suite struct BenchSpecCountTests {
    @Test(arguments: [("hypervisor-spin-2-levels.yaml", 1_058_529), ("hypervisor-spin-3-levels.yaml", 811_048)])
    func independentCounts(_ file: String, _ states: Int) throws {
        let spec = try SpecLoader.load(file: MutationAcceptanceTests.specsDir + "/bench/" + file)
        #expect(!spec.symmetry && spec.mergeStaleTypes && !spec.config.recursiveEntries && !spec.config.preserveAD)
        var options = spec.explorerOptions
        options.threads = 2
        let o = ExploreRun.run(spec, options: options)
        #expect(o.complete && o.violations.isEmpty)
        #expect(o.stats.distinctStates == states)
    }
}

import Foundation
import Testing

/// The command line's contract, on the built binary: exit codes 0/1/2/3,
/// `FILE:LINE: key:` messages for bad input, and the JSON summary fields.
@Suite struct CommandLineTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    /// The newest built binary (debug or release), so a stale one is never tested.
    static var binary: String? {
        let candidates = ["debug", "release"].map { root + "/.build/\($0)/mmucheck" }
            .filter { FileManager.default.isExecutableFile(atPath: $0) }
        func modified(_ p: String) -> Date {
            (try? FileManager.default.attributesOfItem(atPath: p)[.modificationDate] as? Date) ?? .distantPast
        }
        return candidates.max { modified($0) < modified($1) }
    }

    struct Run { let code: Int32; let out: String; let err: String }

    func mmucheck(_ args: [String]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(Self.binary, "build the mmucheck product first (swift build --build-tests)"))
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: Self.root)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(code: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    @Test func unknownProofNameListsValidNames() throws {
        let r = try mmucheck(["prove", "--only", "no-such-proof"])
        #expect(r.code == 2)
        #expect(r.err.contains("no-such-proof") && r.err.contains("walk-limit") && r.err.contains("pte-roundtrip"))
    }

    /// --encoding is about the inductive proofs: without a spec it would be ignored, so it is refused.
    @Test func encodingWithoutASpecIsExit2() throws {
        let r = try mmucheck(["prove", "--encoding", "modular"])
        #expect(r.code == 2)
        #expect(r.err.contains("--encoding") && r.err.contains("--spec"), "\(r.err)")
    }

    @Test func unknownFlagIsExit2() throws {
        #expect(try mmucheck(["explore", "--frobnicate", "x.yaml"]).code == 2)
        #expect(try mmucheck(["explore", "specs/hypervisor-small.yaml", "--depth", "-3"]).code == 2)
    }

    /// `diff` and `--engine`: exit 0 with "no mismatch" on a hypervisor spec, exit 2 naming
    /// why on a spec the fast engine cannot run.
    @Test func diffAndEngineSelection() throws {
        let ok = try mmucheck(["diff", "specs/quick/hypervisor-tiny.yaml", "--runs", "5", "--states", "50"])
        #expect(ok.code == 0 && ok.out.contains("no mismatch"), "\(ok.out)\(ok.err)")
        let guest = try mmucheck(["diff", "specs/guest-pae.yaml"])
        #expect(guest.code == 2 && guest.err.contains("hypervisor"), "\(guest.err)")
        let fastGuest = try mmucheck(["explore", "specs/guest-pae.yaml", "--engine", "fast", "--depth", "1"])
        #expect(fastGuest.code == 2 && fastGuest.err.contains("--engine fast"), "\(fastGuest.err)")
        let spec = try mmucheck(["explore", "specs/quick/hypervisor-tiny.yaml", "--engine", "spec", "--format", "json", "--quiet"])
        let fast = try mmucheck(["explore", "specs/quick/hypervisor-tiny.yaml", "--engine", "fast", "--format", "json", "--quiet"])
        #expect(spec.out.contains("\"engine\" : \"spec\"") && fast.out.contains("\"engine\" : \"fast\""), "\(spec.out)")
        #expect(try mmucheck(["explore", "specs/quick/hypervisor-tiny.yaml", "--engine", "turbo"]).code == 2)
    }

    @Test func malformedSpecIsExit2WithFileLineKey() throws {
        let f = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(getpid()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: f) }
        try "model: hypervisor\nsizes:\n  levels: 9\n".write(toFile: f, atomically: true, encoding: .utf8)
        for cmd in ["explore", "check", "list"] {
            let r = try mmucheck([cmd, f])
            #expect(r.code == 2, "\(cmd)")
            #expect(r.err.contains("\(f):3: sizes.levels: "), "\(cmd): \(r.err)")
        }
    }

    @Test("check and scenario report every malformed file and path at once, each FILE:LINE: key:, and run nothing")
    func everyMalformedInputIsReported() throws {
        try withTemporaryFolder("many-bad") { dir in
            let a = dir.appendingPathComponent("a.yaml").path, b = dir.appendingPathComponent("b.yaml").path
            let c = dir.appendingPathComponent("c.yaml").path, missing = dir.appendingPathComponent("missing.yaml").path
            try "model: hypervisor\nfrobnicate: 1\n".write(toFile: a, atomically: true, encoding: .utf8)
            try "model: hypervisor\nsizes:\n  levels: 9\n".write(toFile: b, atomically: true, encoding: .utf8)
            try "model: hypervisor\nsteps:\n  - pin: {level: 2, mfn: 0}\n    expect: maybe\n".write(toFile: c, atomically: true, encoding: .utf8)
            let r = try mmucheck(["check", a, "specs/quick/hypervisor-tiny.yaml", b, c, missing])
            #expect(r.code == 2 && r.out.isEmpty, "\(r.out)")
            for needle in ["\(a):2: frobnicate:", "\(b):3: sizes.levels:", "\(c):4: steps[0].expect:", "\(missing): path: no such file"] {
                #expect(r.err.contains(needle), "\(needle) not in \(r.err)")
            }
            let s = try mmucheck(["scenario", c, "specs/scenarios/xsa-185.yaml", missing])
            #expect(s.code == 2 && s.err.contains("\(c):4: steps[0].expect:") && s.err.contains("\(missing): path:"), "\(s.err)")
        }
    }

    /// Issue #4's acceptance: every malformed spec file of the loader's table, written to
    /// disk and given to the binary, exits 2 naming file, line and key.
    @Test(arguments: SpecLoaderTests.malformed)
    func malformedSpecFileExits2(_ c: SpecLoaderTests.Case) throws {
        let f = FileManager.default.temporaryDirectory.appendingPathComponent("malformed-\(getpid())-\(abs(c.label.hashValue)).yaml").path
        defer { try? FileManager.default.removeItem(atPath: f) }
        try c.text.write(toFile: f, atomically: true, encoding: .utf8)
        let r = try mmucheck(["explore", f, "--quiet"])
        #expect(r.code == 2, "\(c.label): exit \(r.code)")
        #expect(r.err.contains("\(f):\(c.line): \(c.key): "), "\(c.label): \(r.err)")
    }

    @Test func exploreQuickSpecHoldsWithJSONSummary() throws {
        let r = try mmucheck(["explore", "specs/quick/hypervisor-tiny.yaml", "--format", "json", "--quiet"])
        #expect(r.code == 0, "\(r.err)")
        let j = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        for key in ["spec", "complete", "distinctStates", "transitions", "depth", "seconds", "statesPerSecond",
                    "transitionsPerSecond", "bytesPerState", "violations"] {
            #expect(j[key] != nil, "missing \(key)")
        }
        #expect(j["complete"] as? Bool == true)
        #expect((j["distinctStates"] as? Int ?? 0) > 100)
    }

    @Test func twoRunsGiveTheSameCounts() throws {
        func counts() throws -> [Int] {
            let r = try mmucheck(["explore", "specs/quick/hypervisor-tiny.yaml", "--format", "json", "--quiet", "--no-symmetry"])
            let j = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
            return [j["distinctStates"] as? Int ?? -1, j["transitions"] as? Int ?? -1, j["depth"] as? Int ?? -1]
        }
        let a = try counts(), b = try counts()
        #expect(a == b && a[0] > 0)
    }

    @Test func boundedRunIsIncompleteExit3() throws {
        let r = try mmucheck(["explore", "specs/quick/hypervisor-3-level.yaml", "--quiet"])
        #expect(r.code == 3)
        #expect(r.out.contains("incomplete (depth limit)") && !r.out.contains("result: holds"))
        let c = try mmucheck(["check", "specs/quick/hypervisor-3-level.yaml", "--quiet"])
        #expect(c.code == 3 && c.out.contains("incomplete"))
    }

    @Test func checkWritesJUnit() throws {
        let f = FileManager.default.temporaryDirectory.appendingPathComponent("junit-\(getpid()).xml").path
        defer { try? FileManager.default.removeItem(atPath: f) }
        let r = try mmucheck(["check", "specs/quick", "--junit", f, "--quiet"])
        #expect(r.code == 3)   // the quick set holds one depth-bounded spec
        let xml = try String(contentsOfFile: f, encoding: .utf8)
        #expect(xml.contains("<testcase classname=\"hypervisor-tiny\" name=\"explore\""))
        #expect(xml.contains("<error message=\"incomplete\">"))
    }

    /// A prove check is listed obligation by obligation, each with its seconds.
    @Test func checkWritesOneJUnitCasePerObligation() throws {
        let f = FileManager.default.temporaryDirectory.appendingPathComponent("junit-prove-\(getpid()).xml").path
        defer { try? FileManager.default.removeItem(atPath: f) }
        let r = try mmucheck(["check", "specs/seed-arithmetic.yaml", "--junit", f, "--quiet"])
        #expect(r.code == 0)
        let xml = try String(contentsOfFile: f, encoding: .utf8)
        #expect(xml.contains("<testcase classname=\"seed-arithmetic\" name=\"prove/walk-limit\""))
        #expect(xml.contains("name=\"prove/walk-limit-twin-limit-zero\""))
        #expect(xml.contains("tests=\"13\""))   // the 5 arithmetic obligations and their 8 twins
    }

    @Test func badTraceIsExit2() throws {
        let f = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: f) }
        try "{\"#meta\": {\"format\": \"mmucheck-trace\", \"version\": 7}}".write(toFile: f, atomically: true, encoding: .utf8)
        let r = try mmucheck(["replay", f])
        #expect(r.code == 2 && r.err.contains("#meta.version"))
    }

    /// `mmucheck scenario`: 0 when every step matches, 1 naming FILE:LINE and the step, 2 for
    /// a malformed file (nothing run).
    @Test func scenarioExitCodes() throws {
        let ok = try mmucheck(["scenario", "specs/scenarios/xsa-185.yaml"])
        #expect(ok.code == 0 && ok.out.contains("result: the scenario matches"), "\(ok.out)\(ok.err)")
        let dir = FileManager.default.temporaryDirectory.path
        let wrong = dir + "/mmucheck-scenario-wrong-\(getpid()).yaml"
        let bad = dir + "/mmucheck-scenario-bad-\(getpid()).yaml"
        defer { try? FileManager.default.removeItem(atPath: wrong); try? FileManager.default.removeItem(atPath: bad) }
        try """
        model: hypervisor
        steps:
          - pin: {level: 2, mfn: f0}
            expect: -EBUSY
        """.write(toFile: wrong, atomically: true, encoding: .utf8)
        let w = try mmucheck(["scenario", wrong])
        #expect(w.code == 1 && w.out.contains("\(wrong):4: step 1: expected -EBUSY, got ok on the spec engine"), "\(w.out)")
        try "model: hypervisor\nsteps:\n  - pin: {level: 2, mfn: f0}\n    expect: maybe\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let b = try mmucheck(["scenario", bad])
        #expect(b.code == 2 && b.err.contains("\(bad):4: steps[0].expect:"), "\(b.err)")
        // check runs a scenario file as a row of its summary and of JUnit.
        let junit = dir + "/mmucheck-scenario-junit-\(getpid()).xml"
        defer { try? FileManager.default.removeItem(atPath: junit) }
        let c = try mmucheck(["check", "--quiet", "--junit", junit, "specs/scenarios/xsa-182.yaml", wrong])
        #expect(c.code == 1 && c.out.split(separator: "\n").contains { $0.hasPrefix("xsa-182 ") && $0.contains(" scenario holds ") }, "\(c.out)")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("name=\"scenario\"") && xml.contains("<failure message=\"failed\">step 1 (line 4)"), "\(xml)")
    }
}

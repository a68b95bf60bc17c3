import Foundation
import Testing

/// Issue #14: a seeded, bounded fuzz campaign against the built binary. Seeds are the shipped
/// specs and scenarios and the traces the tests write (Golden/); each mutant is fed to the
/// command that reads it, and every run must end with an exit code the tool documents (never
/// a signal, never past its time limit); every exit 2 must name `FILE:LINE: key:` (or
/// `FILE: key:` for the file as a whole) with no raw control character. The bad-flag list is
/// run the same way. `make fuzz` runs a campaign 20 times longer (`MMUCHECK_FUZZ_SCALE`).
@Suite(.serialized) struct FuzzTests {
    static let root = CommandLineTests.root
    static var scale: Int { Int(ProcessInfo.processInfo.environment["MMUCHECK_FUZZ_SCALE"] ?? "") ?? 1 }

    /// SplitMix64: the campaign is the same on every run.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
        mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
    }

    struct Run { let code: Int32; let signalled: Bool; let timedOut: Bool; let out: String; let err: String }

    /// Runs the binary with a time limit (a hang is a failure, not a stuck suite); with
    /// `signal`, sends it that signal after `after` seconds.
    static func run(_ args: [String], seconds: Double = 30, signal: Int32? = nil, after: Double = 0) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(CommandLineTests.binary, "build the mmucheck product first"))
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        // One file per call: suites run in parallel in this process (HostileInputTests calls
        // this too), so a name made of the pid alone would be shared and clobbered.
        let outFile = FileManager.default.temporaryDirectory.appendingPathComponent("mmucheck-fuzz-out-\(UUID().uuidString)").path
        let errFile = outFile + ".err"
        FileManager.default.createFile(atPath: outFile, contents: nil)
        FileManager.default.createFile(atPath: errFile, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outFile); try? FileManager.default.removeItem(atPath: errFile) }
        p.standardOutput = FileHandle(forWritingAtPath: outFile)
        p.standardError = FileHandle(forWritingAtPath: errFile)
        try p.run()
        if let signal {
            usleep(UInt32(after * 1_000_000))
            kill(p.processIdentifier, signal)
        }
        let deadline = Date().addingTimeInterval(seconds)
        var timedOut = false
        while p.isRunning {
            if Date() > deadline { timedOut = true; kill(p.processIdentifier, SIGKILL); break }
            usleep(2_000)
        }
        p.waitUntilExit()
        let out = (try? String(contentsOfFile: outFile, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? ""
        return Run(code: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal && !timedOut, timedOut: timedOut, out: out, err: err)
    }

    /// Mutates text the way a careless hand or a broken tool would.
    static func mutate(_ text: String, _ rng: inout Rng) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let extremes = ["-1", "0", "99999999999999999999", "18446744073709551616", "-9223372036854775808", "2.5", "1e9", "0x7fffffffffffffff",
                        "true", "null", "\"\"", "[]", "{}", "nan", "-0", "1_000_000_000_000"]
        let junk = ["\u{1B}[31m", "\u{0}", "\u{7F}", "\u{85}", "\u{2028}", "\u{FEFF}", "\t", "\r", "{", "}", "[", "]", ":", ",", "&a", "*a", "!!binary", "'", "\"", "#", "- ", "\\"]
        for _ in 0..<(1 + rng.below(3)) {
            guard !lines.isEmpty else { break }
            let i = rng.below(lines.count)
            switch rng.below(9) {
            case 0: lines.remove(at: i)
            case 1: lines.insert(lines[i], at: i)
            case 2: lines.swapAt(i, rng.below(lines.count))
            case 3:   // a number replaced by an extreme value
                let words = lines[i].split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                if let j = words.indices.filter({ words[$0].contains(where: \.isNumber) }).randomElement(using: &rng) {
                    var w = words
                    w[j] = rng.pick(extremes) + (w[j].hasSuffix(",") ? "," : "")
                    lines[i] = w.joined(separator: " ")
                }
            case 4:   // junk at a random place in the line
                var l = Array(lines[i])
                l.insert(contentsOf: rng.pick(junk), at: rng.below(l.count + 1))
                lines[i] = String(l)
            case 5: lines[i] = String(lines[i].prefix(rng.below(lines[i].count + 1)))   // truncated line
            case 6: lines = Array(lines.prefix(i))                                       // truncated file
            case 7: lines[i] = String(repeating: " ", count: rng.below(5)) + lines[i].trimmingCharacters(in: .whitespaces)
            default:  // a value replaced by a list, a mapping or a long string
                if let c = lines[i].firstIndex(of: ":") {
                    lines[i] = String(lines[i][...c]) + " " + rng.pick(["[1, [2, [3]]]", "{a: {b: {c: 1}}}", String(repeating: "x", count: 5000), "~", "*nope"])
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    static func files(_ dir: String, _ ext: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + dir)) ?? [])
            .filter { $0.hasSuffix(ext) }.sorted().map { root + "/" + dir + "/" + $0 }
    }

    /// What every run must satisfy; `allowed`: the exit codes the command may give.
    static func judge(_ r: Run, file: String, allowed: Set<Int32>, input: String, _ failures: inout [String]) {
        func fail(_ why: String) { failures.append("\(why)\n--- input (\(file)) ---\n\(input.prefix(2000))\n--- stderr ---\n\(r.err.prefix(500))") }
        if r.signalled { return fail("terminated by a signal (exit \(r.code))") }
        if r.timedOut { return fail("did not finish in time") }
        if !allowed.contains(r.code) { return fail("exit \(r.code), expected one of \(allowed.sorted())") }
        if r.err.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" || $0.value == 0x7F || (0x80...0x9F).contains($0.value) })
            || r.out.unicodeScalars.contains(where: { $0.value == 0x1B }) {
            return fail("a raw control character reached the terminal")
        }
        if r.code == 2 {
            let name = (file as NSString).lastPathComponent
            let first = r.err.split(separator: "\n").first.map(String.init) ?? ""
            guard first.contains(name + ":"), first.range(of: #": [^ ]*: |:\d+: "#, options: .regularExpression) != nil else {
                return fail("exit 2 without FILE:LINE: key: (\(first))")
            }
        }
    }

    /// One campaign: `count` mutants of `seeds` (each edited by `edit`, written as
    /// `NAME-K.EXT`), each run with the arguments `args(k, file)` and judged against the exit
    /// codes `allowed(k)`. Returns the exit codes seen, for a check that enough were bad input.
    static func campaign(_ name: String, seeds: [String], count: Int, seed: UInt64,
                         edit: (String, inout Rng) -> String = { t, _ in t },
                         args: (Int, String) -> [String], allowed: (Int) -> Set<Int32>) throws -> [Int32: Int] {
        var rng = Rng(state: seed)
        let ext = (seeds.first.map { ($0 as NSString).pathExtension } ?? "yaml")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmucheck-fuzz-\(name)-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var failures: [String] = []
        var exits: [Int32: Int] = [:]
        for k in 0..<count {
            let text = edit(Self.mutate(try String(contentsOfFile: rng.pick(seeds), encoding: .utf8), &rng), &rng)
            let f = dir + "/\(name)-\(k).\(ext)"
            try text.write(toFile: f, atomically: true, encoding: .utf8)
            let r = try Self.run(args(k, f))
            exits[r.code, default: 0] += 1
            Self.judge(r, file: f, allowed: allowed(k), input: text, &failures)
        }
        #expect(failures.isEmpty, "\(name): \(failures.count) of \(count) failed; first:\n\(failures.first ?? "")")
        return exits
    }

    @Test("mutated spec files: exit 0 or 2, FILE:LINE: key: on 2, never a signal or a hang")
    func mutatedSpecs() throws {
        let count = 300 * Self.scale
        // list reads the spec and builds nothing big; a third are explored under tight bounds.
        let exits = try Self.campaign("spec", seeds: Self.files("specs", ".yaml") + Self.files("specs/quick", ".yaml") + Self.files("specs/bench", ".yaml"),
                                      count: count, seed: 0x5EED_0001,
                                      args: { k, f in k % 3 == 0 ? ["explore", f, "--quiet", "--max-states", "300", "--seconds", "2"] : ["list", f] },
                                      allowed: { k in k % 3 == 0 ? [0, 1, 2, 3] : [0, 2] })
        #expect((exits[2] ?? 0) > count / 4, "too few mutants were bad input: \(exits)")
    }

    @Test("mutated scenario files: exit 0, 1 or 2, FILE:LINE: key: on 2, never a signal or a hang")
    func mutatedScenarios() throws {
        _ = try Self.campaign("scenario", seeds: Self.files("specs/scenarios", ".yaml"), count: 150 * Self.scale, seed: 0x5EED_0002,
                              edit: { t, _ in t.replacingOccurrences(of: "spec: ../", with: "spec: \(Self.root)/specs/") },
                              args: { _, f in ["scenario", f] }, allowed: { _ in [0, 1, 2] })
    }

    @Test("mutated traces: exit 0, 1, 2 or 3, FILE:LINE: key: on 2, never a signal or a hang")
    func mutatedTraces() throws {
        let seeds = Self.files("Tests/CheckerTests/Golden", ".json")
        #expect(seeds.count >= 3)
        let count = 250 * Self.scale
        // A quarter also compacted to one line: the same JSON, laid out as the tool never writes it.
        let exits = try Self.campaign("trace", seeds: seeds, count: count, seed: 0x5EED_0003,
                                      edit: { t, rng in rng.below(4) == 0 ? t.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined() : t },
                                      args: { k, f in ["replay", f] + (k % 2 == 0 ? ["--engine", "auto"] : []) },
                                      allowed: { _ in [0, 1, 2, 3] })
        #expect((exits[2] ?? 0) > count / 4, "too few mutants were bad input: \(exits)")
    }

    @Test("bad flag values: exit 2 with a message, never a signal")
    func badFlags() throws {
        let spec = "specs/quick/hypervisor-tiny.yaml"
        let trace = "Tests/CheckerTests/Golden/trace-old-fast-path-spec.json"
        var cases: [[String]] = []
        for v in ["17592186044416", "-1", "0", "15", "abc", "1e99", "", "99999999999999999999"] { cases.append(["explore", spec, "--memory-mb", v]) }
        for v in ["-1", "0", "99999999999999999999", "4000000001", "x"] { cases.append(["explore", spec, "--max-states", v]) }
        for v in ["nan", "inf", "-1", "0", "1e400", "-inf", "99999999999"] { cases.append(["explore", spec, "--seconds", v]) }
        for v in ["0", "65", "-1", "1e3", "99999999999999999999"] { cases.append(["explore", spec, "--threads", v]) }
        for v in ["-1", "x", "99999999999999999999"] { cases.append(["explore", spec, "--depth", v]) }
        for v in ["bogus", "", "FAST"] { cases.append(["explore", spec, "--engine", v]) }
        for v in ["xml", ""] { cases.append(["explore", spec, "--format", v]) }
        for v in ["/", "/dev/null", "/nonexistent/dir/t.json", ""] { cases.append(["explore", spec, "--trace-out", v]) }
        for v in ["-1", "1000001", "x"] { cases.append(["diff", spec, "--runs", v]) }
        for v in ["0", "100001"] { cases.append(["diff", spec, "--steps", v]) }
        for v in ["-1", "10000001"] { cases.append(["diff", spec, "--states", v]) }
        for v in ["0", "-5", "nan", "86401"] { cases.append(["diff", spec, "--seconds", v]) }
        for v in ["0", "51", "-1"] { cases.append(["bench", spec, "--repeat", v]) }
        for v in ["0", "65"] { cases.append(["check", spec, "--threads", v]) }
        for v in ["/nonexistent/x.xml", "/", "/dev/null"] { cases.append(["check", spec, "--junit", v]) }
        for v in ["fast", "x"] { cases.append(["scenario", "specs/scenarios/xsa-185.yaml", "--engine", v]) }
        for v in ["x", "fast-ish"] { cases.append(["replay", trace, "--engine", v]) }
        cases += [["explore"], ["explore", "/nonexistent.yaml"], ["explore", "specs"], ["replay", "/nonexistent.json"], ["replay", "specs"],
                  ["scenario", "/nonexistent.yaml"], ["nosuchcommand"], ["prove", "--only", "nope"], ["prove", "--timeout-ms", "-1"],
                  ["explore", spec, "--frobnicate"], ["list", "specs/scenarios/xsa-185.yaml"]]
        var failures: [String] = []
        for args in cases {
            let r = try Self.run(args)
            if r.signalled || r.timedOut || r.code != 2 || r.err.isEmpty {
                failures.append("\(args): exit \(r.code)\(r.signalled ? " (signal)" : "")\(r.timedOut ? " (timeout)" : ""): \(r.err.prefix(300))")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count):\n\(failures.joined(separator: "\n"))")
        #expect(cases.count >= 70)
    }

    @Test("the judge fails what matters: a signal, a hang, exit 2 without FILE:LINE: key:, a raw control character")
    func judgeCanFail() {
        func failures(_ r: Run) -> Int { var f: [String] = []; Self.judge(r, file: "/t/x.yaml", allowed: [0, 2], input: "", &f); return f.count }
        #expect(failures(Run(code: 2, signalled: false, timedOut: false, out: "", err: "mmucheck list: /t/x.yaml:3: sizes: bad\n")) == 0)
        #expect(failures(Run(code: 132, signalled: true, timedOut: false, out: "", err: "")) == 1)
        #expect(failures(Run(code: 9, signalled: false, timedOut: true, out: "", err: "")) == 1)
        #expect(failures(Run(code: 2, signalled: false, timedOut: false, out: "", err: "Error: something\n")) == 1)
        #expect(failures(Run(code: 2, signalled: false, timedOut: false, out: "", err: "mmucheck list: /t/x.yaml:3: k: \u{1B}[31m\n")) == 1)
        #expect(failures(Run(code: 1, signalled: false, timedOut: false, out: "", err: "")) == 1)
    }
}

extension Array {
    /// A seeded pick (nil when empty).
    func randomElement(using rng: inout FuzzTests.Rng) -> Element? { isEmpty ? nil : self[rng.below(count)] }
}

import Foundation
import Testing
@testable import Checker

/// `--smt2-out` writes scripts that Debian's `z3` command line answers the same way
/// (unsat for a proved goal, sat for a refuted one). `make test` installs `z3`.
@Suite struct SMT2ExportTests {
    /// The answer of a solver's command line (`z3 FILE`, `cvc5 FILE`) to a script.
    static func solve(_ solver: String, _ file: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = solver == "cvc5" ? ["cvc5", "--lang=smt2", file] : [solver, file]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try p.run()
        p.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every obligation's exported queries, answered by Debian's `z3` and `cvc5` command lines,
    /// must get the library's answer (unsat for a proved goal, sat for a refuted one): the
    /// arithmetic obligations and twins, and every inductive obligation and twin at
    /// hypervisor-small's size. `make test` installs both (scripts/setup.sh).
    @Test(arguments: ["z3", "cvc5"])
    func exportedQueriesAgreeWithTheCommandLines(_ solver: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmucheck-smt2-\(solver)-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let prover = Prover(smt2Directory: dir)
        let spec = try EnginesTests.load("hypervisor-small.yaml")
        let obligations = Obligations.everything + (try ProofSelection.select(only: ["inductive"], twins: true, config: spec.config))
        var expected: [String: String] = [:]
        for o in obligations {
            let r = try prover.run(o)
            for g in r.goals {
                let file = "\(o.name)__\(g.name.replacingOccurrences(of: "/", with: "__")).smt2"
                switch g.status {
                case .proved: expected[file] = "unsat"
                case .refuted: expected[file] = "sat"
                case .unknown: Issue.record("the library gave up on \(file)")
                }
            }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(Set(files) == Set(expected.keys))
        #expect(files.count > 60)
        for f in files {
            let text = try String(contentsOfFile: "\(dir)/\(f)", encoding: .utf8)
            #expect(text.contains("(check-sat)"))
            let answer = try Self.solve(solver, "\(dir)/\(f)")
            #expect(answer == expected[f], "\(f): \(solver) said \(answer), the library \(expected[f] ?? "?")")
        }
    }
}

import Foundation
import Testing
@testable import Checker

/// `--smt2-out` writes scripts that Debian's `z3` command line answers the same way
/// (unsat for a proved goal, sat for a refuted one). `make test` installs `z3`.
@Suite struct SMT2ExportTests {
    func z3CLI(_ file: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["z3", file]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func exportedQueriesAgreeWithZ3CommandLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmucheck-smt2-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let prover = Prover(smt2Directory: dir)
        let proved = try prover.run(try #require(Obligations.named("preserve-ad")))
        let refuted = try prover.run(try #require(Obligations.named("fast-path-xsa-182")))
        #expect(proved.verdict == .holds && refuted.verdict == .holds)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(files.count == proved.goals.count + refuted.goals.count)
        for f in files {
            let text = try String(contentsOfFile: "\(dir)/\(f)", encoding: .utf8)
            #expect(text.contains("(check-sat)"))
            let answer = try z3CLI("\(dir)/\(f)")
            let expected = f.hasPrefix("fast-path-xsa-182") ? "sat" : "unsat"
            #expect(answer == expected, "\(f): z3 said \(answer)")
        }
    }
}

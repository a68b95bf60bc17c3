import ArgumentParser
import Checker
import Foundation
import SMT

struct Prove: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prove the arithmetic the seed relies on with Z3 (bit-vectors at the real widths).",
        discussion: """
        Obligations: \(Obligations.all.map(\.name).joined(separator: ", ")).
        Each has known-false twins that must be refuted (they show the encoding can fail): \
        \(Obligations.twins.map(\.name).joined(separator: ", ")). `fast-path-xsa-182` is old Xen's \
        fast-path rule, refuted with a pair of pte values.
        """)

    @Option(name: .customLong("only"), help: "Run only this obligation (repeatable).")
    var only: [String] = []

    @Flag(help: "Skip the known-false twins.")
    var noTwins = false

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(name: .customLong("smt2-out"), help: "Write every query as an SMT-LIB2 script into this directory (unsat = proved).")
    var smt2Out: String?

    @Option(name: .customLong("timeout-ms"), help: "Per-goal solver timeout in milliseconds, at least 1 (a timeout is reported as incomplete, exit 3).")
    var timeoutMs: UInt32 = 60_000

    func validate() throws {
        if timeoutMs < 1 { throw ValidationError("--timeout-ms must be at least 1") }
    }

    func run() throws {
        let selected: [ProofObligation]
        do {
            selected = try ProofSelection.select(only: only, twins: !noTwins)
        } catch {
            printErr("mmucheck prove: \(error)")
            throw ExitCode(2)
        }
        if let smt2Out {
            do { try FileManager.default.createDirectory(atPath: smt2Out, withIntermediateDirectories: true) } catch {
                printErr("mmucheck prove: --smt2-out \(smt2Out): cannot create the directory (\((error as NSError).localizedDescription))")
                throw ExitCode(2)
            }
        }
        let prover = Prover(limits: SolverLimits(timeoutMs: timeoutMs), smt2Directory: smt2Out)
        let clock = ContinuousClock(), start = clock.now
        if format == .text { print("mmucheck prove (Z3 \(Context.z3Version))") }
        var results: [ObligationResult] = []
        for o in selected {
            let r = try prover.run(o)
            results.append(r)
            if format == .text { print(ProofReport.line(r)) }
        }
        let secs = (clock.now - start).inSeconds
        if format == .text {
            print(ProofReport.summary(results, seconds: secs))
        } else {
            var j = ProofReport.json(results)
            j["seconds"] = secs
            j["z3"] = Context.z3Version
            print(jsonText(j))
        }
        let code = ProofReport.exitCode(results)
        if code != 0 { throw ExitCode(code) }
    }
}

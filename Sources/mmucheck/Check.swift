import ArgumentParser
import Checker
import Foundation

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every check the spec files ask for (default: specs/) and print a summary table.",
        discussion: """
        Each spec file names its checks (explore, prove, diff); each scenario file (a file with steps:, and \
        every file under a directory's scenarios/ folder) is one row, run on the spec and fast engines \
        (docs/scenarios.md). Exit 0 when every check holds, 1 on a \
        violation, a failed proof, a vacuous run (an expect-reached: condition no reachable state met) or a \
        contradicted one (a not-reached: operation fired), 2 when a spec file is malformed (nothing is run), 3 when a run was \
        cut short by a bound (incomplete, never reported as holding).
        """)

    @Argument(help: "Spec and scenario files, or directories of .yaml files and their scenarios/ folder (default: specs/).")
    var paths: [String] = []

    @Option(help: "Write the results as JUnit XML to this file.")
    var junit: String?

    @Flag(help: "No progress lines.")
    var quiet = false

    @Option(help: "Worker threads per BFS level for the explore checks (default: one per core, at most 64; the counts of a complete run do not depend on it).")
    var threads: Int?

    @Flag(help: "Collect coverage on every explore check and print each one's coverage section (as explore --coverage does) before the table; the JUnit file carries the counts as properties. Counts are collected anyway for a spec whose expect-reached: names operations or outcomes, or that has not-reached:.")
    var coverage = false

    func validate() throws {
        if let threads, threads < 1 || threads > 64 { throw ValidationError("--threads must be 1...64") }
    }

    func run() throws {
        let specs: [CheckSpec], scenarios: [Checker.Scenario]
        do { (specs, scenarios) = try CheckInputs.load(paths: paths.isEmpty ? ["specs"] : paths) } catch {
            for e in error.all { printErr("mmucheck check: \(e)") }
            throw ExitCode(2)
        }
        specs.forEach(printWarnings)
        if let junit, let why = OutputFile.problem(junit, inputs: specs.map(\.file) + scenarios.map(\.file)) {
            printErr("mmucheck check: --junit \(junit): \(why)")
            throw ExitCode(2)
        }
        let workers = threads ?? min(64, max(1, ProcessInfo.processInfo.activeProcessorCount))
        var rows: [CheckRow] = []
        for spec in specs {
            if !quiet { printErr("checking \(spec.name) (\(spec.file)): \(spec.checks.map(\.rawValue).joined(separator: ", "))") }
            rows += try CheckRun.run(spec, threads: workers, coverage: coverage, progress: quiet ? nil : { printErr("  " + ExploreReport.progress($0)) }) { row in
                if !quiet { printErr("  \(row.check): \(row.verdict) — \(row.detail)") }
            }
        }
        for s in scenarios {
            let row = ScenarioReport.row(ScenarioRunner.run(s))
            if !quiet { printErr("scenario \(s.name) (\(s.file)): \(row.verdict) — \(row.detail)") }
            rows.append(row)
        }
        for row in rows where !row.report.isEmpty {
            print("\(row.spec): \(row.check)")
            for line in row.report { print(line) }
            print("")
        }
        print(CheckRun.table(rows))
        let code = CheckRun.exitCode(rows)
        print("result: " + (code == 0 ? "all checks hold" : code == 1 ? "FAILED" : "incomplete"))
        if let junit {
            do { try OutputFile.write(CheckRun.junit(rows), to: junit) } catch {
                printErr("mmucheck check: cannot write \(junit): \(error)")
                throw ExitCode(2)
            }
        }
        if code != 0 { throw ExitCode(code) }
    }
}

import ArgumentParser
import Checker
import Foundation

struct ScenarioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "Run scenario files: steps with the answers Xen or the seed must give (docs/scenarios.md).",
        discussion: """
        Each scenario runs on the spec engine and, for a hypervisor scenario whose state and entry values fit \
        the packed state, on the fast engine in lockstep: each answer is compared with the step's expect:, \
        every invariant must hold after each step except those its breaks: names, its assert: facts must \
        hold, a refused request must change nothing, and the two engines must reach the same state. \
        A directory runs every .yaml scenario in it. Exit 0 when every step of every scenario matches, \
        1 on a mismatch (printed as FILE:LINE: step N: what differs, with the state after the step), \
        2 for a malformed scenario (nothing is run).
        """)

    @Argument(help: "Scenario files or directories of them (default: specs/scenarios/).")
    var paths: [String] = []

    /// Which engines run a scenario (the spec engine always does).
    enum Engines: String, ExpressibleByArgument, CaseIterable { case auto, spec }

    @Option(help: "Engines: auto (the spec engine, and the fast one in lockstep for hypervisor scenarios) or spec (the spec engine only).")
    var engine: Engines = .auto

    @Flag(help: "Print the state after every step (it is always printed after a step that did not match).")
    var showState = false

    func run() throws {
        let scenarios: [Checker.Scenario]
        do { scenarios = try ScenarioFiles.load(paths: paths.isEmpty ? ["specs/scenarios"] : paths) } catch {
            for e in error.all { printErr("mmucheck scenario: \(e)") }
            throw ExitCode(2)
        }
        var code: Int32 = 0
        for s in scenarios {
            let o = ScenarioRunner.run(s, engine: engine == .spec ? .spec : .auto)
            for line in ScenarioReport.lines(o, showState: showState) { print(line) }
            print("")
            code = max(code, o.exitCode)
        }
        print("result: " + (code == 0 ? (scenarios.count == 1 ? "the scenario matches" : "all \(scenarios.count) scenarios match") : "FAILED"))
        if code != 0 { throw ExitCode(code) }
    }
}

import ArgumentParser
import Checker
import Foundation

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Differential testing: the fast hypervisor engine against the executable spec.",
        discussion: """
        After every operation both engines must agree on the result, the abstract state, the \
        type and general counts (stored by the fast engine, derived by the spec) and every \
        invariant's verdict. Phase 1 explores spec states breadth-first and compares every action \
        from each; phase 2 runs seeded random runs with batches and out-of-range arguments. \
        Deterministic for a given seed. Exit 0 no mismatch, 1 mismatch (the actions that lead \
        to it are printed), 2 bad input.
        """)

    @Argument(help: "A hypervisor spec file (YAML); its diff: section gives the defaults.")
    var spec: String

    @Option(help: "Random runs (overrides diff.runs).")
    var runs: Int?

    @Option(help: "Operations per random run (overrides diff.steps).")
    var steps: Int?

    @Option(help: "Seed of the random runs (overrides diff.seed).")
    var seed: UInt64?

    @Option(help: "Spec states to explore breadth-first, every action compared (overrides diff.states; 0: none).")
    var states: Int?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(help: "Stop after this many seconds (incomplete, exit 3).")
    var seconds: Double?

    func validate() throws {
        // The same ranges as the spec file's diff: keys (docs/specs.md).
        if let runs, !(0...1_000_000).contains(runs) { throw ValidationError("--runs must be 0...1000000") }
        if let steps, !(1...100_000).contains(steps) { throw ValidationError("--steps must be 1...100000") }
        if let states, !(0...10_000_000).contains(states) { throw ValidationError("--states must be 0...10000000") }
        if let seconds, !(seconds > 0 && seconds <= 86_400) { throw ValidationError("--seconds must be a number in (0, 86400]") }
    }

    func run() throws {
        let loaded: CheckSpec
        do { loaded = try SpecLoader.load(file: spec) } catch {
            printErr("mmucheck diff: \(error)")
            throw ExitCode(2)
        }
        printWarnings(loaded)
        if let why = Engines.fastUnsupported(loaded) {
            printErr("mmucheck diff: \(spec): \(why)")
            throw ExitCode(2)
        }
        var settings = loaded.diff
        if let runs { settings.runs = runs }
        if let steps { settings.steps = steps }
        if let seed { settings.seed = seed }
        if let states { settings.states = states }
        let outcome: DiffOutcome
        do { outcome = try DiffRun.run(loaded, settings: settings, maxSeconds: seconds) } catch {
            printErr("mmucheck diff: \(spec): \(error)")
            throw ExitCode(2)
        }
        switch format {
        case .text: DiffReport.lines(outcome).forEach { print($0) }
        case .json: print(DiffReport.json(outcome))
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}

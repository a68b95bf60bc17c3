import ArgumentParser
import Checker
import Foundation

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-run a trace file and print each step's result and the invariants broken after it.",
        discussion: "Exit 1 when the replay reaches a violation, 0 when every invariant holds throughout, 2 for a bad trace file.")

    @Argument(help: "The trace file (JSON, as written by explore --trace-out).")
    var trace: String

    @Option(help: "Engine to replay on: spec (default) or fast (hypervisor traces). auto means fast when it can.")
    var engine: EngineChoice = .spec

    func run() throws {
        let outcome: ReplayOutcome
        do {
            let loaded = try TraceReader.load(file: trace)
            var e = engine.value
            if e == .auto { e = Engines.fastUnsupported(loaded.spec) == nil ? .fast : .spec }
            outcome = try Checker.Replay.run(loaded, engine: e)
        } catch {
            printErr("mmucheck replay: \(error)")
            throw ExitCode(2)
        }
        let t = outcome.trace
        print("replaying \(trace): \(t.spec.level.rawValue) model, \(t.steps.count) steps, \(outcome.engine) engine"
              + (t.mutations.isEmpty ? "" : ", rules removed: \(t.mutations.joined(separator: ", "))"))
        func holds(_ broken: [(invariant: String, message: String)]) -> String {
            broken.isEmpty ? "all invariants hold" : "BROKEN: " + broken.map { "\($0.invariant) (\($0.message))" }.joined(separator: "; ")
        }
        print("  0. initial state: \(holds(outcome.brokenInitially))")
        for s in outcome.steps {
            print(String(format: "%3d. ", s.step) + "\(s.action) -> \(s.result): \(holds(s.broken))")
        }
        if let inv = t.invariant {
            print(outcome.reproduced ? "reproduced: \(inv) is broken after the last step"
                                     : "NOT reproduced: \(inv) holds after the last step")
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}

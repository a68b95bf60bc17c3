import ArgumentParser
import Checker
import Foundation

struct Reach: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Is this hypervisor state reachable at the spec's size? (a counterexample to induction, say)",
        discussion: """
        Searches breadth-first the states the spec's adversary (its operations and entry values) \
        reaches, under the same reductions as explore (symmetry, stale-type merging), comparing full \
        states (no fingerprints), for the state in STATE (a state file: mmucheck prove --cti-out writes one per refuted step). \
        The state's configuration must be the spec's; its test-only mutations, if any, are used. \
        Answers: reachable, with a shortest trace (exit 1: for a CTI's pre-state, a real bug; \
        --trace-out writes it as an ordinary trace that replay reproduces); unreachable at this size \
        (exit 0: a complete search never met it: for a CTI, the invariant needs strengthening); \
        incomplete (exit 3: a bound cut the search short). Bad input, and a state holding values the \
        spec's adversary never writes (it cannot decide those): exit 2.
        """)

    @Argument(help: "The spec file (YAML): the model's operations, entry values and reductions.")
    var spec: String

    @Argument(help: "The state file (JSON, as written by prove --cti-out).")
    var state: String

    @Option(name: .customLong("trace-out"), help: "Write the shortest trace to the state as a JSON trace to this file.")
    var traceOut: String?

    @OptionGroup var limits: SearchLimits

    @Flag(help: "No progress lines.")
    var quiet = false

    func run() throws {
        let outcome: Checker.Reach.Outcome
        let loaded = try loadHypervisorSpec(spec, command: "reach", why: "reach answers for the hypervisor model only")
        do {
            let target = try StateFile.load(file: state)
            if let traceOut, let why = OutputFile.problem(traceOut, inputs: [spec, state]) {
                printErr("mmucheck reach: --trace-out \(traceOut): \(why)")
                throw ExitCode(2)
            }
            var options = loaded.explorerOptions
            limits.apply(to: &options)
            outcome = try Checker.Reach.run(loaded, target: target, options: options,
                                           progress: quiet ? nil : { printErr("  " + ExploreReport.progress($0)) })
        } catch let e as ExitCode {
            throw e
        } catch {
            printErr("mmucheck reach: \(error)")
            throw ExitCode(2)
        }
        print("reach \(state) in \(spec): \(outcome.verdict) (\(outcome.stats.distinctStates) states, depth \(outcome.stats.depth)"
              + (outcome.incomplete.map { ", stopped: \($0)" } ?? "") + ")")
        print("  state: \(outcome.target)")
        if outcome.trace != nil { print("  reached (up to the renamings of frames and slots and the stale types explore identifies) by:") }
        if let t = outcome.trace {
            for (i, a) in t.actions.enumerated() { print(String(format: "%3d. ", i + 1) + a) }
            if let traceOut {
                var object = TraceFile.object(t)
                if var meta = object["#meta"] as? [String: Any] {
                    meta["invariant"] = NSNull()
                    meta["message"] = "reaches the state of \(state)"
                    object["#meta"] = meta
                }
                do { try OutputFile.write(jsonText(object) + "\n", to: traceOut) } catch {
                    printErr("mmucheck reach: --trace-out \(traceOut): \(error.localizedDescription)")
                    throw ExitCode(2)
                }
                print("trace written to \(traceOut) (mmucheck replay \(traceOut))")
            }
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}

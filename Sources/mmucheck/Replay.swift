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

    @Flag(help: "Print the state after each step: every frame (owner, type, type and general counts, validated, pinned, entries), the cr3s and the m2p; at guest level also the p2m, PagePinned, the mms and each CPU's mm, lazy mode, xen_cr3 / xen_current_cr3, queued and in-flight multicall entries, locks and cross calls.")
    var showState = false

    @Option(help: "Also write the trace as one self-contained HTML page to this file: the steps, each state drawn as frames with their entries as arrows and each vCPU's cr3, what each step changed, and the broken invariant. Open it in any browser; arrow keys move between steps.")
    var html: String?

    func run() throws {
        if let html, let why = OutputFile.problem(html, inputs: [trace]) {
            printErr("mmucheck replay: --html \(html.escapingControlCharacters): \(why)")
            throw ExitCode(2)
        }
        let loaded: LoadedTrace
        do { loaded = try TraceReader.load(file: trace) } catch {
            printErr("mmucheck replay: \(error)")
            throw ExitCode(2)
        }
        var e = engine.value
        if e == .auto { e = Engines.fastUnsupported(loaded.spec) == nil ? .fast : .spec }
        print("replaying \(trace.escapingControlCharacters): \(loaded.spec.level.rawValue) model, \(loaded.steps.count) steps, \(e == .fast ? "fast" : "spec") engine"
              + (loaded.mutations.isEmpty ? "" : ", rules removed: \(loaded.mutations.joined(separator: ", "))"))
        func holds(_ broken: [(invariant: String, message: String)]) -> String {
            broken.isEmpty ? "all invariants hold" : "BROKEN: " + broken.map { "\($0.invariant) (\($0.message))" }.joined(separator: "; ")
        }
        let outcome: ReplayOutcome
        do {
            // Each step is printed as soon as it has run.
            outcome = try Checker.Replay.run(loaded, engine: e, showState: showState || html != nil) { s in
                if s.step == 0 {
                    print("  0. initial state: \(holds(s.broken))")
                } else {
                    print(String(format: "%3d. ", s.step) + "\(s.action) -> \(s.result): \(holds(s.broken))")
                }
                if showState { for line in s.state { print("       " + line) } }
            }
        } catch {
            printErr("mmucheck replay: \(error)")
            throw ExitCode(2)
        }
        if outcome.interrupted {
            print("interrupted (\(interruptName)) after \(outcome.steps.count) of \(loaded.steps.count) steps: incomplete")
        } else if let inv = loaded.invariant {
            print(outcome.reproduced ? "reproduced: \(inv) is broken after the last step"
                                     : "NOT reproduced: \(inv) holds after the last step")
        }
        // A replay stopped early writes no page (it would show a trace cut short).
        if let html, !outcome.interrupted, let page = TraceViewer.html(outcome) {
            do { try OutputFile.write(page, to: html) } catch {
                printErr("mmucheck replay: cannot write \(html.escapingControlCharacters): \(error)")
                throw ExitCode(2)
            }
            print("wrote \(html.escapingControlCharacters): the trace viewer (open it in a browser)")
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}

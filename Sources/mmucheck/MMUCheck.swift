import ArgumentParser
import Checker
import Foundation

/// The command line: parsing and printing only; every decision lives in Checker.
@main
struct MMUCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mmucheck",
        abstract: "Check the Xen paravirtualised MMU protocol: bounded model checking, Z3 proofs, differential testing of the fast engine against the spec.",
        discussion: """
        Exit codes: 0 every check holds, 1 a violation, a failed proof, a mismatch, or a run that \
        covered less than its spec says (vacuous: an expect-reached: condition never met; contradicted: \
        a not-reached: operation fired), 2 bad input \
        (spec file, trace file, flag), 3 incomplete (a bound, limit or solver timeout cut the answer short).
        """,
        version: MMUCheckVersion.string,
        subcommands: [Check.self, Explore.self, Replay.self, ScenarioCommand.self, Prove.self, Reach.self, Diff.self, List.self, Bench.self],
        defaultSubcommand: nil
    )

    /// Runs the command with mmucheck's exit codes: a usage error is 2 (not
    /// ArgumentParser's 64), and nothing traps on user input.
    static func main() {
        makeHashingDeterministic()
        installInterruptHandler()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}

/// Swift seeds `Hasher` randomly per process, so `Set` order (in trace JSON) and
/// 64-bit state fingerprints would differ between runs. The runtime reads
/// `SWIFT_DETERMINISTIC_HASHING` only at start-up, so the first thing the tool
/// does is re-execute itself with it set: the same spec then gives the same
/// counts, the same fingerprints and byte-identical traces on every run.
func makeHashingDeterministic() {
    if let v = getenv("SWIFT_DETERMINISTIC_HASHING"), String(cString: v) == "1" { return }
    setenv("SWIFT_DETERMINISTIC_HASHING", "1", 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // exec failed (no /proc): carry on; only the collision pattern and Set order can vary.
}

/// Output format shared by the subcommands.
extension ProofEncoding: ExpressibleByArgument {}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `--engine`: which hypervisor implementation runs.
enum EngineChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, fast, spec
    var value: CheckSpec.Engine { CheckSpec.Engine(rawValue: rawValue)! }
}

/// Prints to stderr, each line with its control characters escaped (paths and names come from the user).
func printErr(_ s: String) {
    let safe = s.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).escapingControlCharacters }.joined(separator: "\n")
    FileHandle.standardError.write(Data((safe + "\n").utf8))
}

/// Prints a loaded spec's warnings on stderr (`FILE:LINE: warning: key: what`).
func printWarnings(_ spec: CheckSpec) { for w in spec.warnings { printErr(w) } }

/// Loads a spec for a command that works on the hypervisor model only (`prove --spec`,
/// `reach`): prints its warnings; bad input or a guest spec is `FILE: message` and exit 2.
func loadHypervisorSpec(_ path: String, command: String, why: String) throws -> CheckSpec {
    let loaded: CheckSpec
    do { loaded = try SpecLoader.load(file: path) } catch {
        printErr("mmucheck \(command): \(error)")
        throw ExitCode(2)
    }
    printWarnings(loaded)
    guard loaded.level == .hypervisor else {
        printErr("mmucheck \(command): \(path): model: \(why)")
        throw ExitCode(2)
    }
    return loaded
}

/// Ctrl-C (SIGINT) and SIGTERM stop any long run at its next step: every subcommand then
/// prints what it did and exits 3 ("incomplete"). A second signal exits at once (128 + the
/// signal), for a run stuck where it does not look (a single long solver call).
func installInterruptHandler() {
    _ = ExplorerInterrupt.flag.pointee   // initialised here, not in the handler
    // A parent may have started us with these signals blocked (a blocked mask is inherited):
    // unblock them, or Ctrl-C and SIGTERM would never arrive.
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    sigprocmask(SIG_UNBLOCK, &set, nil)
    for sig in [SIGINT, SIGTERM] {
        signal(sig) { s in
            if ExplorerInterrupt.flag.pointee != 0 { _exit(128 + s) }
            ExplorerInterrupt.flag.pointee = s
        }
    }
}

/// Whether Ctrl-C or SIGTERM has asked the run to stop, and how to say so.
var interrupted: Bool { ExplorerInterrupt.flag.pointee != 0 }
var interruptName: String { ExplorerInterrupt.flag.pointee == SIGTERM ? "SIGTERM" : "Ctrl-C" }

import ArgumentParser
import Checker
import Foundation

/// The command line: parsing and printing only; every decision lives in Checker.
@main
struct MMUCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mmucheck",
        abstract: "Check the Xen paravirtualised MMU protocol: bounded model checking, Z3 proofs, differential tests.",
        discussion: """
        Exit codes: 0 every check holds, 1 a violation or failed proof, 2 bad input \
        (spec file, trace file, flag), 3 incomplete (a bound, limit or solver timeout cut the answer short).
        """,
        version: MMUCheckVersion.string,
        subcommands: [Check.self, Explore.self, Replay.self, Prove.self, List.self, Bench.self],
        defaultSubcommand: nil
    )

    /// Runs the command with mmucheck's exit codes: a usage error is 2 (not
    /// ArgumentParser's 64), and nothing traps on user input.
    static func main() {
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

/// Output format shared by the subcommands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

func printErr(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

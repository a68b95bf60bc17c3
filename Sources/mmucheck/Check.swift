import ArgumentParser
import Checker
import Foundation

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every check the spec files ask for (default: specs/).")

    @Argument(help: "Spec files or directories (default: specs/).")
    var paths: [String] = []

    func run() throws {
        try Prove.parse(["--no-twins"]).run()
    }
}

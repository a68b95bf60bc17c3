import ArgumentParser
import Checker

/// `--max-states` and `--seconds`, the bounds `explore` and `reach` share: declared, checked
/// and applied to the explorer's options in one place.
struct SearchLimits: ParsableArguments {
    @Option(name: .customLong("max-states"), help: "Stop after this many distinct states (incomplete).")
    var maxStates: Int?

    @Option(help: "Stop after this many seconds (incomplete).")
    var seconds: Double?

    func validate() throws {
        if let maxStates, !(1...4_000_000_000).contains(maxStates) { throw ValidationError("--max-states must be 1...4000000000") }
        if let seconds, !(seconds > 0 && seconds <= 86_400 * 365) { throw ValidationError("--seconds must be a number in (0, 31536000]") }
    }

    /// The bounds given on the command line override the spec's.
    func apply(to options: inout ExplorerOptions) {
        if let maxStates { options.maxStates = maxStates }
        if let seconds { options.maxSeconds = seconds }
    }
}

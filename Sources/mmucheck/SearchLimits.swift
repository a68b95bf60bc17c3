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
        if let maxStates, maxStates < 1 { throw ValidationError("--max-states must be >= 1") }
        if let seconds, !(seconds > 0 && seconds.isFinite) { throw ValidationError("--seconds must be a finite number > 0") }
    }

    /// The bounds given on the command line override the spec's.
    func apply(to options: inout ExplorerOptions) {
        if let maxStates { options.maxStates = maxStates }
        if let seconds { options.maxSeconds = seconds }
    }
}

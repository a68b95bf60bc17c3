import ArgumentParser
import Checker
import Foundation

struct Explore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Breadth-first bounded model checking of one spec: every invariant in every reached state.",
        discussion: """
        The first counterexample found is a shortest one. Progress goes to stderr every few seconds. \
        A run cut short by --depth, --max-states, --seconds, --memory-mb or Ctrl-C reports "incomplete" \
        (exit 3), never "holds". Exit 1: a violation; "vacuous", a complete run that never met one of \
        the spec's expect-reached: conditions; "contradicted", an operation the spec's not-reached: \
        says cannot fire fired (docs/specs.md).
        """)

    @Argument(help: "The spec file (YAML).")
    var spec: String

    @Option(help: "Do not expand states at this depth (overrides the spec's bounds.depth).")
    var depth: Int?

    @OptionGroup var limits: SearchLimits

    @Option(name: .customLong("memory-mb"), help: "Stop when resident memory passes this many MiB.")
    var memoryMB: Int?

    @Flag(help: "Report coverage: per operation, the states where it was enabled, the transitions it fired, the new states it reached first, and what every offered action came to (hypervisor: ok, written, emulated, each error code; guest: ok, not-applicable, BUG); per invariant, how many states it was evaluated on. Operations the spec enables that never fired are listed first. Costs re-running every refused hypervisor request for its error code.")
    var coverage = false

    @Option(help: "Worker threads per BFS level (results do not depend on it).")
    var threads: Int = 1

    @Flag(name: .customLong("keep-going"), help: "Collect one shortest trace per broken invariant instead of stopping at the first.")
    var keepGoing = false

    @Flag(name: .customLong("no-merge-stale-types"), help: "Keep states that differ only in the stale type of frames that are not validated (merged by default: they behave alike).")
    var noMergeStaleTypes = false

    @Flag(name: .customLong("no-symmetry"), help: "Do not canonicalise states under renaming of interchangeable frames and entry slots (hypervisor level) or vCPUs (guest level).")
    var noSymmetry = false

    @Flag(name: .customLong("full-states"), help: "Keep full states instead of 64-bit fingerprints (no collision risk, more memory).")
    var fullStates = false

    @Option(name: .customLong("trace-out"), help: "Write the (first) counterexample as a JSON trace to this file.")
    var traceOut: String?

    @Flag(help: "With --trace-out FILE.json: also write FILE.html, the trace viewer (as replay --html).")
    var html = false

    @Option(help: "Hypervisor engine: auto (fast when the configuration fits), fast, or spec (overrides the spec's engine).")
    var engine: EngineChoice?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(help: "No progress lines.")
    var quiet = false

    func validate() throws {
        if let depth, depth < 0 { throw ValidationError("--depth must be >= 0") }
        if let memoryMB, !(16...1_048_576).contains(memoryMB) { throw ValidationError("--memory-mb must be 16...1048576 (1 TiB)") }
        if threads < 1 || threads > 64 { throw ValidationError("--threads must be 1...64") }
    }

    func run() throws {
        var loaded: CheckSpec
        do { loaded = try SpecLoader.load(file: spec) } catch {
            printErr("mmucheck explore: \(error)")
            throw ExitCode(2)
        }
        printWarnings(loaded)
        if noMergeStaleTypes { loaded.mergeStaleTypes = false }
        var options = loaded.explorerOptions
        if let depth { options.maxDepth = depth }
        limits.apply(to: &options)
        if let memoryMB { options.maxMemoryBytes = UInt64(memoryMB) * 1_048_576 }
        options.threads = threads
        options.keepGoing = keepGoing
        if noSymmetry { options.symmetry = false }
        options.fullStates = fullStates
        options.coverage = coverage
        if let why = CostEstimate.problem(loaded, ceiling: options.memoryCeiling) {
            printErr("mmucheck explore: \(spec): \(why) (--memory-mb \(options.memoryCeiling / 1_048_576))")
            throw ExitCode(2)
        }
        if let traceOut, let why = OutputFile.problem(traceOut, inputs: [spec]) {
            printErr("mmucheck explore: --trace-out \(traceOut): \(why)")
            throw ExitCode(2)
        }
        if html {
            guard let traceOut else {
                printErr("mmucheck explore: --html writes the page beside the --trace-out file: give --trace-out FILE.json")
                throw ExitCode(2)
            }
            if let why = OutputFile.problem(TraceViewer.path(besideTrace: traceOut), inputs: [spec]) {
                printErr("mmucheck explore: --html \(TraceViewer.path(besideTrace: traceOut)): \(why)")
                throw ExitCode(2)
            }
        }
        if engine?.value == .fast, let why = Engines.fastUnsupported(loaded) {
            printErr("mmucheck explore: --engine fast: \(why)")
            throw ExitCode(2)
        }
        let outcome = ExploreRun.run(loaded, options: options, engine: engine?.value, progress: quiet ? nil : { printErr(ExploreReport.progress($0)) })
        // The files come after the report: a file that cannot be written although it was
        // checked before the run (the disk filled) is said on stderr; the violation's exit 1
        // stands (files are written only for a violation), so the verdict is never hidden.
        switch format {
        case .text: print(ExploreReport.text(outcome, options: options))
        case .json: print(jsonText(ExploreReport.json(outcome)))
        }
        if let traceOut, let first = outcome.violations.first {
            do {
                try TraceFile.write(first, to: traceOut)
                if html {
                    let path = TraceViewer.path(besideTrace: traceOut)
                    do { try OutputFile.write(try TraceViewer.page(forTraceFile: traceOut), to: path) } catch {
                        printErr("mmucheck explore: cannot write \(path): \(error) (the verdict above stands)")
                    }
                }
            } catch {
                printErr("mmucheck explore: cannot write \(traceOut): \(error) (the verdict above stands)")
            }
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}

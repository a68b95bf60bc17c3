import ArgumentParser
import Checker
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark the explorer on one core: distinct states/s, transitions/s, bytes per stored state (medians).")

    @Argument(help: "The spec to explore (the SPIN anchor's sizes; about 30 s a run on the fast engine, 17 minutes on the spec engine).")
    var spec: String = "specs/bench/hypervisor-3-frames.yaml"

    @Option(name: .customLong("repeat"), help: "How many runs (the median is reported).")
    var repeatCount: Int = 1

    @Flag(name: .customLong("no-merge-stale-types"), help: "Keep states that differ only in the stale type of frames that are not validated (merged by default: they behave alike).")
    var noMergeStaleTypes = false

    @Flag(name: .customLong("no-symmetry"), help: "Turn symmetry reduction off.")
    var noSymmetry = false

    @Flag(name: .customLong("full-states"), help: "Store full states instead of fingerprints.")
    var fullStates = false

    @Option(help: "Hypervisor engine: auto (fast when the configuration fits), fast, or spec.")
    var engine: EngineChoice?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        if repeatCount < 1 || repeatCount > 50 { throw ValidationError("--repeat must be 1...50") }
    }

    func run() throws {
        var s: CheckSpec
        do { s = try SpecLoader.load(file: spec) } catch {
            printErr("mmucheck bench: \(error)")
            throw ExitCode(2)
        }
        printWarnings(s)
        if noMergeStaleTypes { s.mergeStaleTypes = false }
        if engine == .fast, let why = Engines.fastUnsupported(s) {
            printErr("mmucheck bench: --engine fast: \(why)")
            throw ExitCode(2)
        }
        let r = BenchRun.run(s, repeats: repeatCount, symmetry: noSymmetry ? false : nil, fullStates: fullStates, engine: engine?.value) { i, st in
            printErr(String(format: "run %ld: %ld states, %ld transitions, %.2fs", i, st.distinctStates, st.transitions, st.seconds))
        }
        let m = r.median
        switch format {
        case .text:
            print("bench \(s.name) (\(s.file)), \(r.runs.count) runs, 1 thread, symmetry \(noSymmetry ? "off" : (s.symmetry ? "on" : "off")), stale types \(s.mergeStaleTypes ? "merged" : "kept"), engine: \(r.engine)")
            print(String(format: "median: %.2fs, %ld distinct states, %ld transitions", m.seconds, m.distinctStates, m.transitions))
            print(String(format: "median: %.0f states/s, %.0f transitions/s, %.1f bytes/state", m.statesPerSecond, m.transitionsPerSecond, m.bytesPerState))
            if !r.complete { print("note: the run was cut short by a bound (incomplete)") }
        case .json:
            print(jsonText(["spec": s.file, "runs": r.runs.count, "complete": r.complete, "engine": r.engine,
                            "medianSeconds": m.seconds, "distinctStates": m.distinctStates, "transitions": m.transitions,
                            "statesPerSecond": m.statesPerSecond, "transitionsPerSecond": m.transitionsPerSecond,
                            "bytesPerState": m.bytesPerState]))
        }
        if !r.complete { throw ExitCode(3) }
    }
}

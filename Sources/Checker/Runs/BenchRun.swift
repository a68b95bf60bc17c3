import Foundation

/// `mmucheck bench`: explores a spec several times on one thread and reports medians.
public enum BenchRun {
    public struct Result: Sendable {
        public let spec: CheckSpec
        public let runs: [ExplorerStats]
        public let complete: Bool
        /// The engine that ran ("fast" or "spec").
        public let engine: String
        public var median: ExplorerStats {
            let sorted = runs.sorted { $0.seconds < $1.seconds }
            return sorted[sorted.count / 2]
        }
    }

    public static func run(_ spec: CheckSpec, repeats: Int, symmetry: Bool?, fullStates: Bool,
                           engine: CheckSpec.Engine? = nil, onRun: (Int, ExplorerStats) -> Void) -> Result {
        var options = spec.explorerOptions
        options.threads = 1
        if let symmetry { options.symmetry = symmetry }
        options.fullStates = fullStates
        // The explorer alone: no coverage counts for conditions or claims (a spec's
        // expect-reached: and not-reached: are judged by explore and check, not timed here).
        var spec = spec
        spec.expectReached = []
        spec.notReached = []
        var runs: [ExplorerStats] = []
        var complete = true
        var ran = "spec"
        for i in 0..<max(1, repeats) {
            let o = ExploreRun.run(spec, options: options, engine: engine)
            ran = o.engine
            complete = complete && o.complete
            runs.append(o.stats)
            onRun(i + 1, o.stats)
        }
        return Result(spec: spec, runs: runs, complete: complete, engine: ran)
    }
}

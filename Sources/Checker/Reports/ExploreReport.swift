import Foundation

/// Renders explorer runs: progress lines, the text summary, the JSON summary.
public enum ExploreReport {
    public static func progress(_ s: ExplorerStats) -> String {
        String(format: "progress: %ld distinct, %ld generated, queue %ld, depth %ld, %.0f states/s, %.1fs",
               s.distinctStates, s.transitions, s.queue, s.depth, s.statesPerSecond, s.seconds)
    }

    public static func text(_ o: ExploreOutcome, options: ExplorerOptions) -> String {
        let s = o.stats
        var lines: [String] = []
        lines.append("spec: \(o.spec.name) (\(o.spec.file)), model: \(o.spec.level.rawValue), engine: \(o.engine)"
                     + (o.engineNote.map { " (\($0))" } ?? ""))
        lines.append("invariants: " + o.spec.checkedInvariants.map(\.rawValue).joined(separator: ", "))
        for v in o.violations {
            lines.append("")
            lines.append("VIOLATION of \(v.invariant) after \(v.actions.count) step\(v.actions.count == 1 ? "" : "s"): \(v.message)")
            for (i, a) in v.actions.enumerated() { lines.append(String(format: "  %3d. ", i + 1) + a) }
        }
        lines.append("")
        var verdict = o.verdict
        if let why = o.incomplete { verdict += " (\(why.rawValue))" }
        lines.append("result: \(verdict)")
        lines.append(String(format: "states: %ld distinct, %ld transitions, depth %ld, %.2fs (%.0f states/s, %.0f transitions/s)",
                            s.distinctStates, s.transitions, s.depth, s.seconds, s.statesPerSecond, s.transitionsPerSecond))
        let storage = options.fullStates ? "full states (inline size only: their heap arrays are not counted)" : "64-bit fingerprints"
        lines.append(String(format: "storage: %@, %.1f bytes/state in memory (+%ld bytes of trace links on disk)",
                            storage, s.bytesPerState, s.traceBytesOnDisk))
        lines.append(o.spec.level == .guest ? "reductions: vCPU symmetry \(o.symmetry ? "on" : "off")"
                     : "reductions: symmetry \(o.symmetry ? "on" : "off"), stale types \(o.staleTypesMerged ? "merged" : "kept")")
        if !options.fullStates {
            lines.append(String(format: "fingerprint collision probability (n^2/2^65, + transitions/2^64 with symmetry): %.2g", s.collisionProbability))
        }
        if options.countFired { lines += coverage(o) }
        return lines.joined(separator: "\n")
    }

    /// The operations the spec enables that never fired (first, loudly), then every
    /// operation with its count of fired transitions, in the level's operation order.
    static func coverage(_ o: ExploreOutcome) -> [String] {
        let names = ModelCatalog.operationNames(o.spec.level)
        let enabled = o.spec.operations.map(Set.init) ?? Set(names)
        let fired = o.stats.fired
        let never = names.filter { enabled.contains($0) && fired[$0, default: 0] == 0 }
        var lines = ["coverage (transitions fired per operation, summed over every expanded state"
                     + (o.complete ? ")" : "; the run is incomplete)")]
        if !never.isEmpty { lines.append("  NEVER FIRED (enabled by the spec): " + never.joined(separator: ", ")) }
        for n in names where fired[n, default: 0] > 0 || enabled.contains(n) {
            lines.append("  \(n): \(fired[n, default: 0])")
        }
        for n in fired.keys.sorted() where !names.contains(n) { lines.append("  \(n): \(fired[n]!)") }
        return lines
    }

    public static func json(_ o: ExploreOutcome) -> [String: Any] {
        let s = o.stats
        return [
            "spec": o.spec.file, "name": o.spec.name, "model": o.spec.level.rawValue, "engine": o.engine, "engineNote": o.engineNote ?? NSNull(),
            "symmetry": o.symmetry, "staleTypesMerged": o.staleTypesMerged,
            "complete": o.complete, "verdict": o.verdict,
            "incompleteReason": o.incomplete?.rawValue ?? NSNull(),
            "distinctStates": s.distinctStates, "transitions": s.transitions, "depth": s.depth,
            "seconds": s.seconds, "statesPerSecond": s.statesPerSecond, "transitionsPerSecond": s.transitionsPerSecond,
            "bytesPerState": s.bytesPerState, "traceBytesOnDisk": s.traceBytesOnDisk, "collisionProbability": s.collisionProbability,
            "fired": s.fired,
            "invariants": o.spec.checkedInvariants.map(\.rawValue),
            "violations": o.violations.map { ["invariant": $0.invariant, "message": $0.message, "trace": TraceFile.object($0)] },
        ]
    }
}

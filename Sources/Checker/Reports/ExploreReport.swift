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
        if options.coverage, let c = s.coverage { lines += coverage(o, c) }
        lines += reach(o)
        return lines.joined(separator: "\n")
    }

    /// The operations the spec enables that never fired (first, loudly), and every other
    /// gap with its reason (`CoverageGaps`); then every operation shown with its counts and
    /// outcomes, in the level's operation order; then how often each invariant was evaluated.
    static func coverage(_ o: ExploreOutcome, _ c: Coverage) -> [String] {
        let gaps = CoverageGaps(o.spec, c)
        var lines = ["", "coverage" + (o.complete ? "" : " (the run is incomplete: counts so far)")
                     + ": per operation, states where it was enabled, transitions fired, new states first reached by it, "
                     + "and what every offered action came to"]
        lines += gaps.lines
        let width = max(9, c.operations.map(\.count).max() ?? 0)
        func right(_ t: String) -> String { String(repeating: " ", count: max(0, 12 - t.count)) + t }
        lines.append("  " + "operation".padding(toLength: width, withPad: " ", startingAt: 0)
                     + " " + right("enabled") + " " + right("fired") + " " + right("new") + "  outcomes")
        for op in gaps.shown {
            let i = c.operations.firstIndex(of: op)!
            let outcomes = c.outcomes(of: i).map { "\($0.label) \($0.count)" }.joined(separator: ", ")
            lines.append("  " + op.padding(toLength: width, withPad: " ", startingAt: 0)
                         + String(format: " %12ld %12ld %12ld  ", c.enabled[i], c.fired[i], c.newStates[i]) + outcomes)
        }
        lines.append("  invariant evaluations: " + zip(c.invariants, c.evaluations).map { "\($0) \($1)" }.joined(separator: ", "))
        return lines
    }

    /// The `expect-reached:` conditions, each met or missed (missed first).
    /// Then the `not-reached:` claims that fired (said whether or not `--coverage` is on).
    static func reach(_ o: ExploreOutcome) -> [String] {
        var lines: [String] = []
        let contradicted = o.contradicted
        if !contradicted.isEmpty {
            lines += ["", "not-reached CONTRADICTED (\(contradicted.count) of \(o.spec.notReached.count))"]
            for r in contradicted {
                lines.append("  \(o.spec.file):\(r.line): \(r.operation) fired \(r.fired) \(r.fired == 1 ? "time" : "times"); the spec says: \(r.why)")
            }
        }
        guard !o.spec.expectReached.isEmpty else { return lines }
        let unmet = o.unmet
        lines += ["", "expect-reached (\(o.spec.expectReached.count - unmet.count) of \(o.spec.expectReached.count) met"
                  + (!o.violations.isEmpty ? "; the search stopped at a violation)" : o.complete ? ")" : "; the run is incomplete)")]
        for c in unmet {
            lines.append("  MISSED \(o.spec.file):\(c.line): \(c)"
                         + (o.status(c) == "missed" ? ": no reachable state " + missedWhat(c) : ": not reached yet"))
        }
        for c in o.spec.expectReached where o.met(c) { lines.append("  met    \(c)" + metDetail(o, c)) }
        return lines
    }

    static func missedWhat(_ c: ReachCondition) -> String {
        switch c.kind {
        case .operation(let op): "enables \(op)"
        case .outcome(let op, let outcome): "has \(op) come to \(outcome)"
        case .state(let name): "satisfies \(name)"
        }
    }

    static func metDetail(_ o: ExploreOutcome, _ c: ReachCondition) -> String {
        if let d = o.firstDepth(c) { return " (first at depth \(d))" }
        guard let n = o.count(c) else { return "" }
        if case .operation = c.kind { return " (\(n) transition\(n == 1 ? "" : "s"))" }
        return " (\(n) time\(n == 1 ? "" : "s"))"
    }

    /// The coverage counts as JSON, with the gaps (`CoverageGaps.json`) beside them; null
    /// when nothing was counted (no `--coverage`, and no condition or claim needing counts).
    static func coverageJSON(_ o: ExploreOutcome) -> Any {
        guard let c = o.stats.coverage else { return NSNull() }
        var out: [String: Any] = [
            "operations": c.operations.indices.map { i -> [String: Any] in
                ["name": c.operations[i], "enabled": c.enabled[i], "fired": c.fired[i], "newStates": c.newStates[i],
                 "outcomes": Dictionary(uniqueKeysWithValues: c.outcomes(of: i).map { ($0.label, $0.count) })]
            },
            "invariantEvaluations": Dictionary(uniqueKeysWithValues: zip(c.invariants, c.evaluations).map { ($0, $1) }),
        ]
        out.merge(CoverageGaps(o.spec, c).json) { a, _ in a }
        return out
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
            "coverage": coverageJSON(o),
            "expectReached": o.spec.expectReached.map { c -> [String: Any] in
                var e: [String: Any] = ["condition": c.description, "line": c.line, "met": o.met(c), "status": o.status(c)]
                if let n = o.count(c) { e["count"] = n }
                if let d = o.firstDepth(c) { e["firstDepth"] = d }
                return e
            },
            "invariants": o.spec.checkedInvariants.map(\.rawValue),
            "violations": o.violations.map { ["invariant": $0.invariant, "message": $0.message, "trace": TraceFile.object($0)] },
        ]
    }
}

import Foundation

/// How `diff` results are printed.
public enum DiffReport {
    /// The text report: a summary line, and for a mismatch the actions that lead to it.
    public static func lines(_ d: DiffOutcome) -> [String] {
        var out: [String] = []
        if let m = d.mismatch {
            out.append("diff \(d.spec.name): MISMATCH in \(m.phase) after \(d.comparisons) comparisons")
            out.append("  \(m.what)")
            out.append("  actions from the initial state (the last one disagreed):")
            for (i, a) in m.actions.enumerated() { out.append("    \(i + 1). \(a)") }
        } else {
            out.append("diff \(d.spec.name): " + (d.incomplete.map { "incomplete (\($0.rawValue)), no mismatch so far: " } ?? "no mismatch: ")
                       + "\(d.comparisons) operations compared on both engines "
                       + "(\(d.bfsStates) spec states breadth-first with every action; \(d.runs) random runs x \(d.settings.steps) steps, seed \(d.settings.seed)) "
                       + String(format: "in %.2f s", d.seconds))
        }
        return out
    }

    public static func json(_ d: DiffOutcome) -> String {
        var o: [String: Any] = [
            "spec": d.spec.name, "verdict": d.verdict, "comparisons": d.comparisons, "bfsStates": d.bfsStates,
            "runs": d.runs, "steps": d.settings.steps, "seed": d.settings.seed, "seconds": d.seconds,
        ]
        if let why = d.incomplete { o["incomplete"] = why.rawValue }
        if let m = d.mismatch { o["mismatch"] = ["phase": m.phase, "what": m.what, "actions": m.actions] as [String: Any] }
        return jsonText(o)
    }
}

/// Prints a scenario's run: per step what was expected and what each engine answered, and
/// for every mismatch `FILE:LINE: step N: what differs` with the step and the state after it.
public enum ScenarioReport {
    /// `showState`: the state after every step (the state is always printed after a step
    /// that did not match).
    public static func lines(_ o: ScenarioOutcome, showState: Bool = false) -> [String] {
        let s = o.scenario
        var out = ["scenario \(s.name) (\(s.file.escapingControlCharacters)): \(s.spec.level.rawValue) model, \(s.steps.count) step\(s.steps.count == 1 ? "" : "s"), engines: "
                   + o.engines.joined(separator: ", ") + (o.fastSkipped.map { " (fast not run: \($0))" } ?? "")]
        for c in s.cites { out.append("  cites: \(c)") }
        if showState {
            out.append("  start:")
            out += o.startState.map { "      " + $0 }
        }
        for step in o.steps {
            out.append(String(format: "%4d. ", step.number) + "line \(step.line): \(step.description)" + (step.note.map { "  # \($0)" } ?? ""))
            let got = step.got.map { "\($0.engine) " + $0.answers.joined(separator: ", ") }.joined(separator: "; ")
            out.append("      expect \(step.expected.joined(separator: ", ")); \(got)" + (step.mismatches.isEmpty ? "" : "  MISMATCH"))
            for m in step.mismatches { out.append("      \(s.file.escapingControlCharacters):\(m.line): step \(step.number): \(m.message)") }
            if showState || !step.mismatches.isEmpty {
                out.append("      state after step \(step.number):")
                out += step.state.map { "        " + $0 }
            }
        }
        let bad = o.steps.filter { !$0.mismatches.isEmpty }.map(\.number)
        out.append(bad.isEmpty ? "result: \(o.steps.count == 1 ? "the step matches" : "all \(o.steps.count) steps match") (\(o.engines.joined(separator: ", ")))"
                               : "result: FAILED: step\(bad.count == 1 ? "" : "s") \(bad.map(String.init).joined(separator: ", ")) did not match")
        return out
    }

    /// The row `mmucheck check` shows for a scenario.
    public static func row(_ o: ScenarioOutcome) -> CheckRow {
        let s = o.scenario
        let bad = o.steps.filter { !$0.mismatches.isEmpty }
        let detail: String
        if let first = bad.first, let m = first.mismatches.first {
            detail = "step \(first.number) (line \(m.line)): \(m.message)" + (bad.count > 1 ? " (and \(bad.count - 1) more steps)" : "")
        } else {
            detail = "\(o.steps.count) step\(o.steps.count == 1 ? "" : "s") match\(o.steps.count == 1 ? "es" : "") on the \(o.engines.joined(separator: " and ")) engine\(o.engines.count == 1 ? "" : "s")"
                + (o.fastSkipped.map { " (fast: \($0))" } ?? "")
        }
        return CheckRow(spec: s.name, file: s.file, check: "scenario", verdict: o.matched ? "holds" : "failed", detail: detail,
                        seconds: o.seconds, exitCode: o.exitCode, report: o.matched ? [] : lines(o))
    }
}

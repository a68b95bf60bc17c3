import Foundation

/// One row of `mmucheck check`'s summary: one check of one spec.
public struct CheckRow: Sendable {
    public let spec: String
    public let file: String
    public let check: String
    /// holds / violation / vacuous / contradicted / incomplete / failed / mismatch
    public let verdict: String
    public let detail: String
    public let seconds: Double
    public let exitCode: Int32
    /// The full report of the check (for `prove`: one line per obligation).
    public var report: [String] = []
    /// The check's own cases, when it has several (for `prove`: one per obligation, with its
    /// seconds): JUnit lists these instead of the row.
    public var cases: [Case] = []
    /// Named figures of the check (explore: its coverage counts and `expect-reached:`
    /// conditions), written as JUnit properties of its test case.
    public var properties: [(name: String, value: String)] = []

    public struct Case: Sendable {
        public let name: String
        public let seconds: Double
        public let exitCode: Int32
        public let detail: String
    }
}

/// Runs every check each spec asks for.
public enum CheckRun {
    /// `threads`: the explorer's worker threads (results do not depend on them).
    /// `coverage`: collect the explorer's coverage counts and put each explore check's
    /// coverage section in its row's report (counts are on anyway for a spec whose
    /// `expect-reached:` names operations or outcomes, or that has `not-reached:`).
    public static func run(_ spec: CheckSpec, threads: Int = 1, coverage: Bool = false, progress: ((ExplorerStats) -> Void)?,
                           onRow: (CheckRow) -> Void) throws -> [CheckRow] {
        var rows: [CheckRow] = []
        for kind in spec.checks {
            let row: CheckRow
            switch kind {
            case .explore:
                var options = spec.explorerOptions
                options.threads = max(1, threads)
                options.coverage = coverage
                let o = ExploreRun.run(spec, options: options, progress: progress)
                var detail = "\(o.engine) engine\(o.engineNote.map { " (\($0))" } ?? ""), \(o.stats.distinctStates) states, \(o.stats.transitions) transitions, depth \(o.stats.depth)"
                if let v = o.violations.first { detail = "\(v.invariant) broken after \(v.actions.count) steps; " + detail }
                if let why = o.incomplete { detail += " (\(why.rawValue))" }
                if !o.contradicted.isEmpty {
                    detail += "; not-reached CONTRADICTED: " + o.contradicted.map { "\($0.operation) fired \($0.fired) (line \($0.line))" }
                        .joined(separator: ", ")
                }
                if !spec.expectReached.isEmpty {
                    let missed = o.unmet
                    detail += missed.isEmpty ? ", expect-reached: all \(spec.expectReached.count) met"
                        : "; expect-reached \(o.status(missed[0]) == "missed" ? "MISSED" : "not reached yet"): "
                            + missed.map { "\($0) (line \($0.line))" }.joined(separator: ", ")
                }
                // --coverage: the coverage section, as `explore --coverage` prints it.
                let report = coverage ? o.stats.coverage.map { Array(ExploreReport.coverage(o, $0).drop { $0.isEmpty }) } ?? [] : []
                row = CheckRow(spec: spec.name, file: spec.file, check: "explore", verdict: o.verdict, detail: detail,
                               seconds: o.stats.seconds, exitCode: o.exitCode, report: report, properties: properties(o))
            case .diff:
                do {
                    let d = try DiffRun.run(spec)
                    row = CheckRow(spec: spec.name, file: spec.file, check: "diff", verdict: d.verdict, detail: d.detail,
                                   seconds: d.seconds, exitCode: d.exitCode, report: DiffReport.lines(d))
                } catch {
                    row = CheckRow(spec: spec.name, file: spec.file, check: "diff", verdict: "failed",
                                   detail: "the fast engine cannot run this configuration: \(error.reason)", seconds: 0, exitCode: 2)
                }
            case .prove:
                // No `proofs:` key: the seed's arithmetic; otherwise what it names, at the spec's sizes.
                let selected = try spec.proofs.map { try ProofSelection.select(only: $0, twins: true, config: spec.config, entryFlags: spec.entryFlags, encoding: spec.proofEncoding) }
                    ?? Obligations.everything
                let prover = Prover()
                let start = Date()
                var results: [ObligationResult] = []
                for o in selected where ExplorerInterrupt.flag.pointee == 0 { results.append(try prover.run(o)) }
                let skipped = selected.count - results.count
                var code = ProofReport.exitCode(results)
                if skipped > 0 && code == 0 { code = 3 }
                let failed = results.filter { $0.verdict != .holds }.map(\.name)
                // The encoding matters only where inductive obligations run (`proofs:` given).
                let modular = spec.proofs != nil && spec.proofEncoding == .modular
                var detail = skipped > 0 && failed.isEmpty ? "interrupted: \(skipped) of \(selected.count) obligations not run" : failed.isEmpty
                    ? "\(results.count) obligations (\(results.filter { $0.expectation == .refuted }.count) twins refuted)" + (modular ? ", modular encoding" : "")
                    : "not holding: " + failed.joined(separator: ", ")
                let unproven = modular ? InductiveProofs.lemmasNotHolding(results) : []
                if !unproven.isEmpty { detail += " (every modular step's 'proved' rests on \(unproven.joined(separator: ", ")))" }
                row = CheckRow(spec: spec.name, file: spec.file, check: "prove",
                               verdict: code == 0 ? "holds" : code == 1 ? "failed" : "incomplete", detail: detail,
                               seconds: Date().timeIntervalSince(start), exitCode: code,
                               report: results.map(ProofReport.line),
                               cases: results.map { r in
                                   CheckRow.Case(name: r.name, seconds: r.seconds, exitCode: ProofReport.exitCode([r]),
                                                 detail: ProofReport.line(r))
                               })
            }
            onRow(row)
            rows.append(row)
        }
        return rows
    }

    /// An explore run's figures as JUnit properties: `coverage.OP.enabled|fired|new`,
    /// `coverage.OP.outcome.LABEL` (non-zero ones), `coverage.never-fired`,
    /// `coverage.invariant.NAME.evaluations`, `not-reached.OP` (not fired, or contradicted),
    /// `expect-reached.CONDITION` (met, missed, or not reached yet).
    static func properties(_ o: ExploreOutcome) -> [(name: String, value: String)] {
        var p: [(name: String, value: String)] = []
        if let c = o.stats.coverage {
            let gaps = CoverageGaps(o.spec, c)
            p.append(("coverage.never-fired", gaps.neverFired.joined(separator: " ")))
            for r in gaps.notReached {
                p.append(("not-reached.\(r.operation)", r.fired > 0 ? "contradicted: fired \(r.fired)" : "not fired"))
            }
            for i in gaps.shown.compactMap({ c.operations.firstIndex(of: $0) }) {
                let op = c.operations[i]
                p += [("coverage.\(op).enabled", "\(c.enabled[i])"), ("coverage.\(op).fired", "\(c.fired[i])"),
                      ("coverage.\(op).new", "\(c.newStates[i])")]
                for (label, n) in c.outcomes(of: i) { p.append(("coverage.\(op).outcome.\(label)", "\(n)")) }
            }
            for (name, n) in zip(c.invariants, c.evaluations) { p.append(("coverage.invariant.\(name).evaluations", "\(n)")) }
        }
        for c in o.spec.expectReached { p.append(("expect-reached.\(c)", o.status(c))) }
        return p
    }

    /// 1 if anything failed, else 3 if anything is incomplete, else 0.
    public static func exitCode(_ rows: [CheckRow]) -> Int32 {
        if rows.contains(where: { $0.exitCode == 1 }) { return 1 }
        if rows.contains(where: { $0.exitCode == 3 }) { return 3 }
        return 0
    }

    /// One line per row, columns as wide as their longest entry (a long spec name or
    /// verdict is never cut).
    public static func table(_ rows: [CheckRow]) -> String {
        let w = (spec: max(25, rows.map(\.spec.count).max() ?? 0), check: max(8, rows.map(\.check.count).max() ?? 0),
                 verdict: max(11, rows.map(\.verdict.count).max() ?? 0))
        func cell(_ t: String, _ n: Int) -> String { t.padding(toLength: n, withPad: " ", startingAt: 0) }
        var out = [cell("spec", w.spec) + " " + cell("check", w.check) + " " + cell("verdict", w.verdict) + " seconds  detail"]
        for r in rows {
            out.append(cell(r.spec, w.spec) + " " + cell(r.check, w.check) + " " + cell(r.verdict, w.verdict) + " "
                       + String(format: "%7.2f", r.seconds) + "  " + r.detail)
        }
        return out.joined(separator: "\n")
    }

    /// JUnit XML: one test case per (spec, check), and per obligation for `prove`
    /// (`prove/NAME`, with its seconds); violations and failed proofs are failures,
    /// incomplete runs are errors (never passes).
    public static func junit(_ rows: [CheckRow]) -> String {
        func esc(_ s: String) -> String {
            // XML 1.0 has no way to carry most control characters, escaped or not: written as \u{XX}.
            s.escapingControlCharacters.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        // A check with cases of its own (prove: one per obligation) is listed case by case.
        let cases: [(spec: String, file: String, name: String, seconds: Double, exitCode: Int32, verdict: String, detail: String,
                     properties: [(name: String, value: String)])] =
            rows.flatMap { r in
                r.cases.isEmpty ? [(r.spec, r.file, r.check, r.seconds, r.exitCode, r.verdict, r.detail, r.properties)]
                    : r.cases.map { c in (r.spec, r.file, "\(r.check)/\(c.name)", c.seconds, c.exitCode,
                                          c.exitCode == 1 ? "failed" : "incomplete", c.detail, []) }
            }
        let failures = cases.filter { $0.exitCode == 1 }.count
        let errors = cases.filter { $0.exitCode == 3 }.count
        let total = rows.reduce(0) { $0 + $1.seconds }
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites name=\"mmucheck\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"\(errors)\" time=\"\(String(format: "%.3f", total))\">\n"
        x += "  <testsuite name=\"mmucheck check\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"\(errors)\">\n"
        for r in cases {
            x += "    <testcase classname=\"\(esc(r.spec))\" name=\"\(esc(r.name))\" file=\"\(esc(r.file))\" time=\"\(String(format: "%.3f", r.seconds))\""
            if r.exitCode == 0 && r.properties.isEmpty { x += "/>\n"; continue }
            x += ">\n"
            if !r.properties.isEmpty {
                x += "      <properties>\n"
                for p in r.properties { x += "        <property name=\"\(esc(p.name))\" value=\"\(esc(p.value))\"/>\n" }
                x += "      </properties>\n"
            }
            switch r.exitCode {
            case 0: break
            case 1: x += "      <failure message=\"\(esc(r.verdict))\">\(esc(r.detail))</failure>\n"
            default: x += "      <error message=\"incomplete\">\(esc(r.detail))</error>\n"
            }
            x += "    </testcase>\n"
        }
        x += "  </testsuite>\n</testsuites>\n"
        return x
    }
}

import Foundation

/// Renders proof results for people (text) and machines (JSON).
public enum ProofReport {
    public static func line(_ r: ObligationResult) -> String {
        let label: String
        switch (r.verdict, r.expectation) {
        case (.holds, .proved): label = "proved"
        case (.holds, .refuted): label = "refuted (expected)"
        case (.fails, .proved): label = "FAILED"
        case (.fails, .refuted): label = "FAILED (twin proved)"
        case (.incomplete, _): label = "incomplete"
        }
        var s = "  \(label.padding(toLength: 19, withPad: " ", startingAt: 0)) "
            + "\(r.name.count >= 38 ? r.name : r.name.padding(toLength: 38, withPad: " ", startingAt: 0)) "
            + String(format: "%6.2fs", r.seconds) + "  \(r.goals.count) goal\(r.goals.count == 1 ? "" : "s")"
        if let g = r.firstRefuted, case .refuted(let cex) = g.status {
            let what = r.expectation == .refuted ? "counterexample" : "broken goal"
            s += "\n      \(what) \(g.name): " + cex.map { "\($0.term)=\($0.value)" }.joined(separator: " ")
            for line in g.explanation { s += "\n        " + line }
        }
        if r.verdict == .incomplete, let g = r.firstUnknown, case .unknown(let why) = g.status {
            s += "\n      solver gave up on \(g.name): \(why)"
        }
        return s
    }

    public static func summary(_ results: [ObligationResult], seconds: Double) -> String {
        let proved = results.filter { $0.verdict == .holds && $0.expectation == .proved }.count
        let refuted = results.filter { $0.verdict == .holds && $0.expectation == .refuted }.count
        let failed = results.filter { $0.verdict == .fails }.count
        let incomplete = results.filter { $0.verdict == .incomplete }.count
        return "prove: \(results.count) obligations: \(proved) proved, \(refuted) refuted as expected, "
            + "\(failed) failed, \(incomplete) incomplete " + String(format: "(%.2fs)", seconds)
    }

    /// 0 all hold, 1 a failure, 3 incomplete.
    public static func exitCode(_ results: [ObligationResult]) -> Int32 {
        if results.contains(where: { $0.verdict == .fails }) { return 1 }
        if results.contains(where: { $0.verdict == .incomplete }) { return 3 }
        return 0
    }

    public static func json(_ results: [ObligationResult]) -> [String: Any] {
        ["obligations": results.map { r -> [String: Any] in
            [
                "name": r.name, "summary": r.summary, "expectation": r.expectation.rawValue,
                "verdict": r.verdict.rawValue, "seconds": r.seconds,
                "goals": r.goals.map { g -> [String: Any] in
                    var d: [String: Any] = ["name": g.name, "seconds": g.seconds]
                    switch g.status {
                    case .proved: d["status"] = "proved"
                    case .refuted(let cex):
                        d["status"] = "refuted"
                        d["counterexample"] = Dictionary(cex.map { ($0.term, $0.value) }, uniquingKeysWith: { a, _ in a })
                        if !g.explanation.isEmpty { d["explanation"] = g.explanation }
                    case .unknown(let why): d["status"] = "unknown"; d["reason"] = why
                    }
                    return d
                },
            ]
        }]
    }
}

/// JSON text with sorted keys (deterministic output).
public func jsonText(_ object: Any) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]),
          let s = String(data: data, encoding: .utf8) else { return "{}" }
    return s
}

import MMUSpec
import SMT

/// One named proof obligation: a set of goals (conjuncts), each a formula that
/// must be valid. Hyperkernel-style: each obligation is its own test, and a
/// failing one names the goal that broke.
public struct ProofObligation: Sendable {
    /// Stable kebab-case name (`mmucheck prove --only NAME`).
    public let name: String
    /// One sentence: what is proved.
    public let summary: String
    /// What the obligation is expected to do. Known-false twins expect `.refuted`.
    public let expectation: Expectation
    /// Builds the goals in a fresh context (one context per obligation: Z3 is single-threaded).
    public let goals: @Sendable (Context) -> [Goal]

    public enum Expectation: String, Sendable, Codable {
        /// Every goal must be proved.
        case proved
        /// At least one goal must be refuted; its counterexample is the point
        /// (a known-false twin, or a rule shown unsafe such as XSA-182's fast path).
        case refuted
    }

    public init(name: String, summary: String, expectation: Expectation = .proved,
                goals: @escaping @Sendable (Context) -> [Goal]) {
        self.name = name
        self.summary = summary
        self.expectation = expectation
        self.goals = goals
    }
}

/// One formula that must be valid, with the terms worth printing in a counterexample.
public struct Goal {
    /// Names the conjunct, e.g. `pae/flags-unchanged`.
    public let name: String
    public let formula: Expr
    /// Terms whose values a counterexample shows, by name.
    public let shown: [(String, Expr)]
    /// Explains a counterexample (for an inductive step: the operation and its arguments, the
    /// pre- and post-state, the conjunct that broke) and gives the state it starts from.
    public let explain: ((SMTModel) -> Explanation)?
    public init(_ name: String, _ formula: Expr, show shown: [(String, Expr)] = [], explain: ((SMTModel) -> Explanation)? = nil) {
        self.name = name
        self.formula = formula
        self.shown = shown
        self.explain = explain
    }
}

/// What a refuted goal says about its counterexample.
public struct Explanation: Sendable {
    public var lines: [String]
    /// The state the counterexample starts from (a counterexample to induction's pre-state),
    /// for `--cti-out` and `mmucheck reach`.
    public var state: XenState?
    public init(lines: [String], state: XenState? = nil) { self.lines = lines; self.state = state }
}

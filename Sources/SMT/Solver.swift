import CZ3

/// The answer to "is this formula valid?".
public enum ProofResult {
    /// No counterexample exists.
    case proved
    /// A counterexample: an assignment under which the formula is false.
    case counterexample(SMTModel)
    /// Z3 gave up; `reason` is Z3's (e.g. "timeout", "max. resource limit exceeded").
    case unknown(reason: String)
}

/// The answer to "is this formula satisfiable?".
public enum SatResult {
    case sat(SMTModel)
    case unsat
    case unknown(reason: String)
}

/// Limits for one query. `timeoutMs` is wall-clock; `rlimit` counts Z3's own
/// work and does not depend on machine speed (better for CI reproducibility).
public struct SolverLimits: Sendable, Equatable {
    public var timeoutMs: UInt32?
    public var rlimit: UInt32?
    public init(timeoutMs: UInt32? = nil, rlimit: UInt32? = nil) {
        self.timeoutMs = timeoutMs
        self.rlimit = rlimit
    }
}

/// A Z3 solver for one query at a time.
public final class Solver {
    let context: Context
    let raw: OpaquePointer

    public init(_ context: Context, limits: SolverLimits = SolverLimits()) {
        self.context = context
        raw = Z3_mk_solver(context.raw)!
        Z3_solver_inc_ref(context.raw, raw)
        let params = Z3_mk_params(context.raw)!
        Z3_params_inc_ref(context.raw, params)
        if let t = limits.timeoutMs {
            Z3_params_set_uint(context.raw, params, Z3_mk_string_symbol(context.raw, "timeout"), t)
        }
        if let r = limits.rlimit {
            Z3_params_set_uint(context.raw, params, Z3_mk_string_symbol(context.raw, "rlimit"), r)
        }
        Z3_solver_set_params(context.raw, raw, params)
        Z3_params_dec_ref(context.raw, params)
    }
    deinit { Z3_solver_dec_ref(context.raw, raw) }

    public func assert(_ e: Expr) {
        smtRequire(e.isBool, "assert: term is \(e.sortDescription), not Bool")
        Z3_solver_assert(context.raw, raw, e.raw)
    }

    public func check() throws(SMTError) -> SatResult {
        let r = Z3_solver_check(context.raw, raw)
        try context.throwIfError("check-sat")
        if r == Z3_L_TRUE {
            guard let m = Z3_solver_get_model(context.raw, raw) else {
                throw SMTError.z3(operation: "get-model", message: "no model")
            }
            return .sat(SMTModel(context: context, raw: m))
        } else if r == Z3_L_FALSE {
            return .unsat
        }
        return .unknown(reason: String(cString: Z3_solver_get_reason_unknown(context.raw, raw)))
    }

    /// The solver's assertions as SMT-LIB2 (declarations and asserts, no check-sat).
    public var smtlib: String { String(cString: Z3_solver_to_string(context.raw, raw)) }
}

extension Context {
    /// Is `formula` valid? Checks that its negation is unsatisfiable.
    public func prove(_ formula: Expr, limits: SolverLimits = SolverLimits()) throws(SMTError) -> ProofResult {
        let s = Solver(self, limits: limits)
        s.assert(!formula)
        switch try s.check() {
        case .unsat: return .proved
        case .sat(let m): return .counterexample(m)
        case .unknown(let reason): return .unknown(reason: reason)
        }
    }

    /// Is `formula` satisfiable?
    public func satisfy(_ formula: Expr, limits: SolverLimits = SolverLimits()) throws(SMTError) -> SatResult {
        let s = Solver(self, limits: limits)
        s.assert(formula)
        return try s.check()
    }

    /// A complete SMT-LIB2 script asserting `assertion`, ending in `(check-sat)`,
    /// that the `z3` command line answers the same way (sat/unsat).
    public func smtlibScript(name: String, logic: String = "QF_BV", asserting assertion: Expr) -> String {
        String(cString: Z3_benchmark_to_smtlib_string(raw, name, logic, "unknown", "", 0, nil, assertion.raw))
    }
}

/// A satisfying assignment. Values are read as Swift integers.
public final class SMTModel {
    let context: Context
    let raw: OpaquePointer
    init(context: Context, raw: OpaquePointer) {
        self.context = context
        self.raw = raw
        Z3_model_inc_ref(context.raw, raw)
    }
    deinit { Z3_model_dec_ref(context.raw, raw) }

    /// `e` evaluated in the model, with model completion on.
    private func evaluate(_ e: Expr) -> Expr? {
        var out: OpaquePointer? = nil
        guard Z3_model_eval(context.raw, raw, e.raw, true, &out), let out else { return nil }
        return context.wrap(out)
    }

    /// The value of a bit-vector term of up to 64 bits.
    public func value(_ e: Expr) -> UInt64? {
        guard let v = evaluate(e) else { return nil }
        var n: UInt64 = 0
        guard Z3_get_numeral_uint64(context.raw, v.raw, &n) else { return nil }
        return n
    }

    /// The truth value of a Boolean term.
    public func truth(_ e: Expr) -> Bool? {
        guard let v = evaluate(e) else { return nil }
        switch Z3_get_bool_value(context.raw, v.raw) {
        case Z3_L_TRUE: return true
        case Z3_L_FALSE: return false
        default: return nil
        }
    }

    public var description: String { String(cString: Z3_model_to_string(context.raw, raw)) }
}

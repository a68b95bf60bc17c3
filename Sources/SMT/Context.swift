import CZ3

/// A Z3 context with reference-counted ASTs (`Z3_mk_context_rc`).
///
/// Thread rule: Z3 contexts are single-threaded. `Context` and every object
/// made from it (`Expr`, `Solver`, `SMTModel`) are deliberately *not*
/// `Sendable`, so Swift 6 rejects sharing them across tasks at compile time.
/// Give each thread or task its own `Context`.
public final class Context {
    let raw: OpaquePointer

    /// Creates a context. Z3's default error handler (print, then `exit(1)`) is
    /// removed at once: errors are read back with `Z3_get_error_code` and thrown.
    public init() {
        let cfg = Z3_mk_config()
        // Models are needed to read counterexamples.
        Z3_set_param_value(cfg, "model", "true")
        raw = Z3_mk_context_rc(cfg)!
        Z3_del_config(cfg)
        Z3_set_error_handler(raw, nil)
    }

    deinit { Z3_del_context(raw) }

    /// Throws the pending Z3 error, if any, and clears it.
    func throwIfError(_ what: String) throws(SMTError) {
        let code = Z3_get_error_code(raw)
        guard code != Z3_OK else { return }
        let message = String(cString: Z3_get_error_msg(raw, code))
        Z3_set_error(raw, Z3_OK)
        throw SMTError.z3(operation: what, message: message)
    }

    /// Wraps a fresh AST (reference count 0) at once, so it is owned.
    func wrap(_ ast: OpaquePointer?) -> Expr {
        guard let ast else {
            let code = Z3_get_error_code(raw)
            fatalError("Z3 returned no AST: \(String(cString: Z3_get_error_msg(raw, code)))")
        }
        return Expr(context: self, raw: ast)
    }

    // MARK: Sorts and constants

    public func bvSort(_ width: Int) -> Sort {
        smtRequire(width > 0 && width <= 512, "bit-vector width must be 1...512, got \(width)")
        return Sort(context: self, raw: Z3_mk_bv_sort(raw, UInt32(width))!)
    }

    public var boolSort: Sort { Sort(context: self, raw: Z3_mk_bool_sort(raw)!) }

    /// A fresh bit-vector constant (a universally quantified variable in a proof).
    public func bv(_ name: String, width: Int) -> Expr {
        let sym = Z3_mk_string_symbol(raw, name)
        return wrap(Z3_mk_const(raw, sym, bvSort(width).raw))
    }

    /// A bit-vector literal; `value` is truncated to `width` bits.
    public func bv(_ value: UInt64, width: Int) -> Expr {
        let sort = bvSort(width)
        if width >= 64 {
            return wrap(Z3_mk_numeral(raw, String(value), sort.raw))
        }
        return wrap(Z3_mk_unsigned_int64(raw, value & ((1 << UInt64(width)) - 1), sort.raw))
    }

    public func bool(_ name: String) -> Expr {
        let sym = Z3_mk_string_symbol(raw, name)
        return wrap(Z3_mk_const(raw, sym, boolSort.raw))
    }

    public func bool(_ value: Bool) -> Expr { wrap(value ? Z3_mk_true(raw) : Z3_mk_false(raw)) }

    /// Parses SMT-LIB2 text into its assertions (conjoined). Bad text throws.
    public func parseSMTLIB2(_ text: String) throws(SMTError) -> Expr {
        let vec = Z3_parse_smtlib2_string(raw, text, 0, nil, nil, 0, nil, nil)
        try throwIfError("parse SMT-LIB2")
        guard let vec else { throw SMTError.z3(operation: "parse SMT-LIB2", message: "no result") }
        Z3_ast_vector_inc_ref(raw, vec)
        defer { Z3_ast_vector_dec_ref(raw, vec) }
        let n = Z3_ast_vector_size(raw, vec)
        var parts: [Expr] = []
        for i in 0..<n { parts.append(wrap(Z3_ast_vector_get(raw, vec, i))) }
        return and(parts)
    }

    /// Conjunction (true when empty).
    public func and(_ parts: [Expr]) -> Expr { connective(parts, unit: true, Z3_mk_and) }

    /// Disjunction (false when empty).
    public func or(_ parts: [Expr]) -> Expr { connective(parts, unit: false, Z3_mk_or) }

    /// `and` (`unit` true) or `or` (`unit` false) with constant parts folded (the unit dropped,
    /// its opposite decides the result): see `ite`.
    private func connective(_ parts: [Expr], unit: Bool,
                            _ make: (OpaquePointer?, UInt32, UnsafePointer<OpaquePointer?>?) -> OpaquePointer?) -> Expr {
        let unitValue = unit ? Z3_L_TRUE : Z3_L_FALSE
        var kept: [Expr] = []
        for p in parts {
            let v = Z3_get_bool_value(raw, p.raw)
            if v == unitValue { continue }
            if v != Z3_L_UNDEF { return bool(!unit) }
            kept.append(p)
        }
        if kept.isEmpty { return bool(unit) }
        if kept.count == 1 { return kept[0] }
        let raws: [OpaquePointer?] = kept.map { $0.raw }
        return wrap(make(raw, UInt32(raws.count), raws))
    }

    /// Pairwise distinct.
    public func distinct(_ parts: [Expr]) -> Expr {
        let raws: [OpaquePointer?] = parts.map { $0.raw }
        return wrap(Z3_mk_distinct(raw, UInt32(raws.count), raws))
    }

    /// `if c then a else b`.
    /// Built without a term when the branches are the same term or the condition is a
    /// constant: large encodings (the symbolic hypervisor) thread whole states through
    /// branches that leave most fields alone, and this keeps their terms shared.
    public func ite(_ c: Expr, _ a: Expr, _ b: Expr) -> Expr {
        smtRequire(c.isBool, "ite condition must be Bool, got \(c.sortDescription)")
        Expr.requireSameSort(a, b, "ite")
        if Z3_is_eq_ast(raw, a.raw, b.raw) { return a }
        switch Z3_get_bool_value(raw, c.raw) {
        case Z3_L_TRUE: return a
        case Z3_L_FALSE: return b
        default: return wrap(Z3_mk_ite(raw, c.raw, a.raw, b.raw))
        }
    }

    /// Z3's estimate of the memory it holds, in bytes (used to check for leaks).
    public static var estimatedAllocatedBytes: UInt64 { UInt64(Z3_get_estimated_alloc_size()) }

    /// The Z3 library version, e.g. "4.8.12".
    public static var z3Version: String {
        var a: UInt32 = 0, b: UInt32 = 0, c: UInt32 = 0, d: UInt32 = 0
        Z3_get_version(&a, &b, &c, &d)
        return "\(a).\(b).\(c)"
    }
}

/// A Z3 sort, kept alive by reference count.
public final class Sort {
    let context: Context
    let raw: OpaquePointer
    init(context: Context, raw: OpaquePointer) {
        self.context = context
        self.raw = raw
        Z3_inc_ref(context.raw, Z3_sort_to_ast(context.raw, raw))
    }
    deinit { Z3_dec_ref(context.raw, Z3_sort_to_ast(context.raw, raw)) }
}

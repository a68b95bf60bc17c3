import CZ3

/// Concrete evaluation: an expression built from constants only (no free variables) reduces,
/// under Z3's simplifier, to a numeral or a Boolean constant. The agreement tests use it to
/// run the prover's transcriptions on concrete values and compare them with the model's own
/// functions, so the prover and the model cannot drift apart unnoticed.
extension Expr {
    /// `Z3_simplify` of this expression.
    public func simplified() -> Expr { context.wrap(Z3_simplify(ctx, raw)) }

    /// The value of a bit-vector numeral of at most 64 bits, nil when this is not one
    /// (simplify first).
    public var numeral: UInt64? {
        guard isBitVector, width <= 64, Z3_get_ast_kind(ctx, raw) == Z3_NUMERAL_AST else { return nil }
        var v: UInt64 = 0
        return Z3_get_numeral_uint64(ctx, raw, &v) ? v : nil
    }

    /// The value of a Boolean constant, nil when this is not one (simplify first).
    public var boolValue: Bool? {
        guard isBool else { return nil }
        switch Z3_get_bool_value(ctx, raw) {
        case Z3_L_TRUE: return true
        case Z3_L_FALSE: return false
        default: return nil
        }
    }

    /// The value of a constant bit-vector expression (simplified here); nil when it has free
    /// variables or is wider than 64 bits.
    public var evaluatedNumeral: UInt64? { simplified().numeral }
    /// The value of a constant Boolean expression (simplified here); nil when it has free variables.
    public var evaluatedBool: Bool? { simplified().boolValue }
}

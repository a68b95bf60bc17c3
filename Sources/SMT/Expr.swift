import CZ3

/// A Z3 term (bit-vector or Boolean), kept alive by reference count.
///
/// Operators build terms; they never evaluate. Mixing widths is a programming
/// error and stops with a message that names both widths.
public final class Expr {
    /// The context the term belongs to.
    public let context: Context
    let raw: OpaquePointer

    init(context: Context, raw: OpaquePointer) {
        self.context = context
        self.raw = raw
        Z3_inc_ref(context.raw, raw)
    }
    deinit { Z3_dec_ref(context.raw, raw) }

    var ctx: OpaquePointer { context.raw }
    var sort: OpaquePointer { Z3_get_sort(ctx, raw)! }

    public var isBool: Bool { Z3_get_sort_kind(ctx, sort) == Z3_BOOL_SORT }
    public var isBitVector: Bool { Z3_get_sort_kind(ctx, sort) == Z3_BV_SORT }
    /// The width of a bit-vector term (0 for Booleans).
    public var width: Int { isBitVector ? Int(Z3_get_bv_sort_size(ctx, sort)) : 0 }
    var sortDescription: String { isBool ? "Bool" : isBitVector ? "(_ BitVec \(width))" : "other sort" }

    /// The term in SMT-LIB2 syntax (copied at once: Z3 reuses the buffer).
    public var smtlib: String { String(cString: Z3_ast_to_string(ctx, raw)) }

    static func requireSameSort(_ a: Expr, _ b: Expr, _ op: String) {
        smtRequire(a.context === b.context, "\(op): terms from different Z3 contexts")
        if a.isBitVector && b.isBitVector {
            smtRequire(a.width == b.width, "\(op): bit-vector widths differ: \(a.width) vs \(b.width)")
        } else {
            smtRequire(a.isBool == b.isBool, "\(op): sorts differ: \(a.sortDescription) vs \(b.sortDescription)")
        }
    }
    func bvOp(_ b: Expr, _ op: String, _ f: (OpaquePointer?, OpaquePointer?, OpaquePointer?) -> OpaquePointer?) -> Expr {
        smtRequire(isBitVector, "\(op): left operand is \(sortDescription), not a bit-vector")
        Expr.requireSameSort(self, b, op)
        return context.wrap(f(ctx, raw, b.raw))
    }
    func boolOp(_ b: Expr, _ op: String, _ f: (OpaquePointer?, OpaquePointer?, OpaquePointer?) -> OpaquePointer?) -> Expr {
        smtRequire(isBool && b.isBool, "\(op): operands must be Bool, got \(sortDescription) and \(b.sortDescription)")
        return context.wrap(f(ctx, raw, b.raw))
    }
    /// A literal of this term's width.
    public func lit(_ v: UInt64) -> Expr { context.bv(v, width: width) }

    // MARK: comparisons (Boolean results)
    public func eq(_ b: Expr) -> Expr { Expr.requireSameSort(self, b, "="); return context.wrap(Z3_mk_eq(ctx, raw, b.raw)) }
    public func eq(_ v: UInt64) -> Expr { eq(lit(v)) }
    public func ne(_ b: Expr) -> Expr { !eq(b) }
    public func ne(_ v: UInt64) -> Expr { !eq(lit(v)) }
    public func ult(_ b: Expr) -> Expr { bvOp(b, "bvult", Z3_mk_bvult) }
    public func ule(_ b: Expr) -> Expr { bvOp(b, "bvule", Z3_mk_bvule) }
    public func ugt(_ b: Expr) -> Expr { bvOp(b, "bvugt", Z3_mk_bvugt) }
    public func uge(_ b: Expr) -> Expr { bvOp(b, "bvuge", Z3_mk_bvuge) }
    public func ult(_ v: UInt64) -> Expr { ult(lit(v)) }
    public func ule(_ v: UInt64) -> Expr { ule(lit(v)) }
    public func ugt(_ v: UInt64) -> Expr { ugt(lit(v)) }
    public func uge(_ v: UInt64) -> Expr { uge(lit(v)) }

    // MARK: bit-vector arithmetic
    public func udiv(_ b: Expr) -> Expr { bvOp(b, "bvudiv", Z3_mk_bvudiv) }
    public func urem(_ b: Expr) -> Expr { bvOp(b, "bvurem", Z3_mk_bvurem) }
    public func udiv(_ v: UInt64) -> Expr { udiv(lit(v)) }
    public func urem(_ v: UInt64) -> Expr { urem(lit(v)) }
    /// Bits `high...low` (inclusive).
    public func extract(_ high: Int, _ low: Int) -> Expr {
        smtRequire(isBitVector && high >= low && low >= 0 && high < width,
                     "extract \(high)...\(low) out of range for width \(width)")
        return context.wrap(Z3_mk_extract(ctx, UInt32(high), UInt32(low), raw))
    }
    /// Zero-extends to `newWidth` bits.
    public func zeroExtend(to newWidth: Int) -> Expr {
        smtRequire(isBitVector && newWidth >= width, "zeroExtend from \(width) to \(newWidth)")
        if newWidth == width { return self }
        return context.wrap(Z3_mk_zero_ext(ctx, UInt32(newWidth - width), raw))
    }

    public static func + (a: Expr, b: Expr) -> Expr { a.bvOp(b, "bvadd", Z3_mk_bvadd) }
    public static func - (a: Expr, b: Expr) -> Expr { a.bvOp(b, "bvsub", Z3_mk_bvsub) }
    public static func * (a: Expr, b: Expr) -> Expr { a.bvOp(b, "bvmul", Z3_mk_bvmul) }
    public static func & (a: Expr, b: Expr) -> Expr { a.bvOp(b, "bvand", Z3_mk_bvand) }
    public static func | (a: Expr, b: Expr) -> Expr { a.bvOp(b, "bvor", Z3_mk_bvor) }
    public static func ^ (a: Expr, b: Expr) -> Expr { a.bvOp(b, "bvxor", Z3_mk_bvxor) }
    public static func << (a: Expr, b: Expr) -> Expr { a.bvOp(b, "bvshl", Z3_mk_bvshl) }
    /// Logical shift right.
    public static func >> (a: Expr, b: Expr) -> Expr { a.bvOp(b, "bvlshr", Z3_mk_bvlshr) }
    public static func + (a: Expr, b: UInt64) -> Expr { a + a.lit(b) }
    public static func - (a: Expr, b: UInt64) -> Expr { a - a.lit(b) }
    public static func * (a: Expr, b: UInt64) -> Expr { a * a.lit(b) }
    public static func & (a: Expr, b: UInt64) -> Expr { a & a.lit(b) }
    public static func | (a: Expr, b: UInt64) -> Expr { a | a.lit(b) }
    public static func << (a: Expr, b: UInt64) -> Expr { a << a.lit(b) }
    public static func >> (a: Expr, b: UInt64) -> Expr { a >> a.lit(b) }
    public static prefix func ~ (a: Expr) -> Expr {
        smtRequire(a.isBitVector, "bvnot: operand is \(a.sortDescription)")
        return a.context.wrap(Z3_mk_bvnot(a.ctx, a.raw))
    }

    // MARK: Boolean connectives
    public static func && (a: Expr, b: Expr) -> Expr { a.context.and([a, b]) }
    public static func || (a: Expr, b: Expr) -> Expr { a.context.or([a, b]) }
    public static prefix func ! (a: Expr) -> Expr {
        smtRequire(a.isBool, "not: operand is \(a.sortDescription)")
        switch Z3_get_bool_value(a.ctx, a.raw) {   // constants folded (see `Context.ite`)
        case Z3_L_TRUE: return a.context.bool(false)
        case Z3_L_FALSE: return a.context.bool(true)
        default: return a.context.wrap(Z3_mk_not(a.ctx, a.raw))
        }
    }
    /// Implication.
    public static func ==> (a: Expr, b: Expr) -> Expr {
        if a.isBool, b.isBool {
            if Z3_get_bool_value(a.ctx, a.raw) == Z3_L_FALSE || Z3_get_bool_value(a.ctx, b.raw) == Z3_L_TRUE { return a.context.bool(true) }
            if Z3_get_bool_value(a.ctx, a.raw) == Z3_L_TRUE { return b }
        }
        return a.boolOp(b, "=>", Z3_mk_implies)
    }
}

infix operator ==> : LogicalDisjunctionPrecedence

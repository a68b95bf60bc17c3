import CZ3

/// An uninterpreted function between bit-vector sorts (e.g. the p2m table as
/// an arbitrary map from pfns to mfns).
public final class Function {
    let context: Context
    let raw: OpaquePointer
    public let domainWidth: Int
    public let rangeWidth: Int

    public init(_ context: Context, name: String, domainWidth: Int, rangeWidth: Int) {
        self.context = context
        self.domainWidth = domainWidth
        self.rangeWidth = rangeWidth
        let domain: [OpaquePointer?] = [context.bvSort(domainWidth).raw]
        raw = Z3_mk_func_decl(context.raw, Z3_mk_string_symbol(context.raw, name), 1, domain,
                              context.bvSort(rangeWidth).raw)!
        Z3_inc_ref(context.raw, Z3_func_decl_to_ast(context.raw, raw))
    }
    deinit { Z3_dec_ref(context.raw, Z3_func_decl_to_ast(context.raw, raw)) }

    /// `f(x)`.
    public func callAsFunction(_ x: Expr) -> Expr {
        smtRequire(x.width == domainWidth, "function argument width \(x.width) vs domain width \(domainWidth)")
        let args: [OpaquePointer?] = [x.raw]
        return context.wrap(Z3_mk_app(context.raw, raw, 1, args))
    }
}

/// Errors from Z3 that the caller can act on (bad SMT-LIB2 text, solver failure).
/// Programming errors (mismatched widths) are preconditions instead.
public enum SMTError: Error, Equatable, CustomStringConvertible {
    case z3(operation: String, message: String)

    public var description: String {
        switch self {
        case let .z3(operation, message): "Z3 error in \(operation): \(message)"
        }
    }
}

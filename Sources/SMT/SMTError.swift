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

/// A programming error in building terms (mismatched widths or sorts): stops with
/// the message. Unlike `precondition`, `fatalError` prints the message in release
/// builds too, which is where `make run` runs.
@inline(__always)
func smtRequire(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line) {
    if !condition { fatalError(message(), file: file, line: line) }
}

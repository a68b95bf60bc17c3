/// Bad input in a spec or trace file: which file, line and key, and what is wrong.
/// Printed as `FILE:LINE: key: message`; the command line exits 2.
public struct SpecError: Error, Equatable, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var key: String
    public var message: String

    public init(file: String, line: Int, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    /// `FILE:LINE: key: message` (`FILE: key: message` for problems with the file as a whole),
    /// control characters escaped (they come from the file or its name).
    public var description: String {
        let text = line > 0 ? "\(file):\(line): \(key): \(message)" : "\(file): \(key): \(message)"
        return text.escapingControlCharacters
    }
}

/// Every malformed input of a run over several files, each `FILE:LINE: key: what`: `check`
/// and `scenario` report them all at once, as a compiler does, instead of one per attempt.
public struct SpecErrors: Error, CustomStringConvertible, Sendable {
    public var all: [SpecError]

    public var description: String { all.map(\.description).joined(separator: "\n") }

    /// `body` applied to each item in order; every item's error is collected, and thrown
    /// together once all were tried.
    static func collect<T, R>(_ items: [T], _ body: (T) throws(SpecError) -> R) throws(SpecErrors) -> [R] {
        var out: [R] = [], errors: [SpecError] = []
        for item in items {
            do { out.append(try body(item)) } catch { errors.append(error) }
        }
        if !errors.isEmpty { throw SpecErrors(all: errors) }
        return out
    }
}

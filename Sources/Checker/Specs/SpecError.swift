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

/// Untrusted text (file names, names and values read from spec, scenario and trace files)
/// never reaches a terminal or an XML report raw: control characters are shown as
/// `\u{1B}`, so an escape sequence in a file cannot move the cursor, recolour the
/// terminal or make JUnit XML ill-formed.
extension String {
    /// Whether a scalar is one no report prints raw: C0 controls (tab included), DEL, C1
    /// controls (NEL among them) and the Unicode line and paragraph separators.
    static func isControl(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        return v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029
    }

    /// The string with every control character (`isControl`) written as `\u{XX}`.
    public var escapingControlCharacters: String {
        guard unicodeScalars.contains(where: String.isControl) else { return self }
        var out = ""
        for u in unicodeScalars {
            if String.isControl(u) { out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}" } else { out.unicodeScalars.append(u) }
        }
        return out
    }

    /// The first control character (`isControl`) and its 1-based line (counting `\n` only,
    /// as editors and `FILE:LINE` do), if any; tab, `\n` and `\r` are allowed.
    func firstDisallowedControl() -> (scalar: Unicode.Scalar, line: Int)? {
        var line = 1
        for u in unicodeScalars {
            if u == "\n" { line += 1; continue }
            if u == "\t" || u == "\r" { continue }
            if String.isControl(u) { return (u, line) }
        }
        return nil
    }
}

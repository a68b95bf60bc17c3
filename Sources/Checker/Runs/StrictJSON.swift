import Foundation

/// RFC 8259 JSON, checked strictly before Foundation reads it: Foundation's reader accepts
/// trailing commas and a byte-order mark and recurses without a bound, and a trace file is
/// untrusted input. Also the home of the type checks Foundation's bridging blurs (`true` or
/// `44.0` read as an integer).
enum StrictJSON {
    /// Nesting deeper than this is refused (no file the tool writes comes near it).
    static let maxDepth = 64

    /// nil when `bytes` is one JSON value (with surrounding whitespace), else the byte offset
    /// of the first problem and what it is.
    static func problem(_ bytes: [UInt8]) -> (offset: Int, message: String)? {
        var p = Parser(b: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return (0, "starts with a byte-order mark (JSON text has none)") }
        do throws(Failure) {
            p.ws()
            try p.value(depth: 0)
            p.ws()
            if p.i < bytes.count { throw Failure(offset: p.i, message: "text after the JSON value") }
            return nil
        } catch {
            return (error.offset, error.message)
        }
    }

    struct Failure: Error { let offset: Int; let message: String }

    struct Parser {
        let b: [UInt8]
        var i = 0

        mutating func ws() { while i < b.count, [0x20, 0x09, 0x0A, 0x0D].contains(b[i]) { i += 1 } }

        func fail(_ m: String) -> Failure { Failure(offset: i, message: m) }

        mutating func literal(_ word: String) throws(Failure) {
            for c in word.utf8 {
                guard i < b.count, b[i] == c else { throw fail("expected \(word)") }
                i += 1
            }
        }

        mutating func value(depth: Int) throws(Failure) {
            guard depth < StrictJSON.maxDepth else { throw fail("nested more than \(StrictJSON.maxDepth) deep") }
            guard i < b.count else { throw fail("unexpected end of text") }
            switch b[i] {
            case UInt8(ascii: "{"):
                i += 1; ws()
                if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return }
                while true {
                    ws()
                    guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected a key (a string); a trailing comma is not JSON") }
                    try string()
                    ws()
                    guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    i += 1; ws()
                    try value(depth: depth + 1)
                    ws()
                    guard i < b.count else { throw fail("unexpected end of text in an object") }
                    if b[i] == UInt8(ascii: ",") { i += 1; continue }
                    if b[i] == UInt8(ascii: "}") { i += 1; return }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                i += 1; ws()
                if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return }
                while true {
                    ws()
                    if i < b.count, b[i] == UInt8(ascii: "]") { throw fail("a trailing comma is not JSON") }
                    try value(depth: depth + 1)
                    ws()
                    guard i < b.count else { throw fail("unexpected end of text in a list") }
                    if b[i] == UInt8(ascii: ",") { i += 1; continue }
                    if b[i] == UInt8(ascii: "]") { i += 1; return }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw fail("unexpected character")
            }
        }

        mutating func string() throws(Failure) {
            i += 1
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "\"") { i += 1; return }
                if c < 0x20 { throw fail("a control character inside a string (write it as \\u00XX)") }
                if c == UInt8(ascii: "\\") {
                    i += 1
                    guard i < b.count else { break }
                    switch b[i] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                         UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"): i += 1
                    case UInt8(ascii: "u"):
                        for k in 1...4 {
                            guard i + k < b.count, (b[i + k] >= 0x30 && b[i + k] <= 0x39) || (b[i + k] | 0x20 >= 0x61 && b[i + k] | 0x20 <= 0x66) else {
                                throw fail("a \\u escape needs four hex digits")
                            }
                        }
                        i += 5
                    default: throw fail("an unknown escape in a string")
                    }
                    continue
                }
                i += 1
            }
            throw fail("a string is not closed")
        }

        mutating func number() throws(Failure) {
            func digits() -> Int { let s = i; while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }; return i - s }
            if b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count else { throw fail("a number ends early") }
            if b[i] == UInt8(ascii: "0") { i += 1 } else if digits() == 0 { throw fail("expected a digit") }
            if i < b.count, b[i] == UInt8(ascii: ".") { i += 1; if digits() == 0 { throw fail("expected a digit after '.'") } }
            if i < b.count, b[i] | 0x20 == UInt8(ascii: "e") {
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                if digits() == 0 { throw fail("expected a digit in the exponent") }
            }
        }
    }

    /// `v` as an integer only if JSON wrote it as one (not `true`, not `44.0`, not `1e2`).
    static func integer(_ v: Any?) -> Int? {
        guard let n = v as? NSNumber, !(v is Bool && String(cString: n.objCType) == "c") else { return nil }
        let t = String(cString: n.objCType)
        guard ["q", "i", "l", "s", "Q", "I", "L", "S"].contains(t) else { return nil }
        return n.intValue
    }

    /// `v` as a boolean only if JSON wrote `true` or `false`.
    static func boolean(_ v: Any?) -> Bool? {
        guard let n = v as? NSNumber, String(cString: n.objCType) == "c" else { return nil }
        return n.boolValue
    }
}

/// Where a duplicated YAML key is, for its `FILE:LINE: key:` message: the YAML library names
/// only the key and its first occurrence, so the path of mappings and list items above it
/// (`not-reached.pin`, `steps[1].expect`) is read back from the text by indentation, and the
/// line is that of the second occurrence. Block style and one-line flow mappings are read;
/// anything else keeps the bare key (never a wrong path: a line that does not parse ends the
/// walk).
enum DuplicateKeyPath {
    /// (line of the repeat, dotted path) for `key` first seen at `line`, `column` (1-based).
    static func locate(_ text: String, key: String, line: Int, column: Int) -> (line: Int, path: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.prefix { $0 != "\r" }) }
        guard line >= 1, line <= lines.count else { return (line, key) }
        let first = lines[line - 1]
        let indent = first.prefix { $0 == " " }.count
        var components: [String] = []
        // A one-line flow mapping: the keys that open a `{` before the key on its line.
        let before = String(first.prefix(max(0, column - 1)))
        let flow = before.contains("{")
        if flow { components = flowParents(before) }
        // The repeat: on the same line (flow), or the next line at the key's indentation.
        var repeatLine = line
        if !flow {
            for j in line..<lines.count {
                let l = lines[j], ind = l.prefix { $0 == " " }.count
                let t = l.dropFirst(ind)
                if !t.isEmpty, !t.hasPrefix("#"), ind < column - 1 { break }   // the mapping ended
                if ind == column - 1, leadingKey(String(t)) == key { repeatLine = j + 1; break }
            }
        }
        // The walk up: each line less indented than the current level is its parent.
        var level = flow ? indent : column - 1
        var afterItem = false
        var j = line - 1
        // A flow mapping that is itself a list item: the walk starts at its own line.
        let flowItem = flow && first.dropFirst(indent).hasPrefix("- ")
        if flowItem { j = line; level = indent + 1 }
        while j > 0 && (level > 0 || afterItem) {
            j -= 1
            let l = lines[j], ind = l.prefix { $0 == " " }.count
            let t = String(l.dropFirst(ind))
            if t.isEmpty || t.hasPrefix("#") { continue }
            if t.hasPrefix("- ") && ind < level {
                // A list item holding the key's mapping: its index among its siblings.
                var index = 0, k = j
                while k > 0 {
                    k -= 1
                    let s = lines[k], si = s.prefix { $0 == " " }.count, st = s.dropFirst(si)
                    if st.isEmpty || st.hasPrefix("#") { continue }
                    if si == ind && st.hasPrefix("- ") { index += 1; continue }
                    if si > ind { continue }
                    break
                }
                components.insert("[\(index)]", at: 0)
                level = ind
                afterItem = true
                continue
            }
            if ind < level || (afterItem && ind == level && !t.hasPrefix("- ")) {
                guard let k = leadingKey(t) else { return (repeatLine, key) }
                components.insert(k, at: 0)
                level = ind
                afterItem = false
            }
        }
        var path = ""
        for c in components + [key] { path += c.hasPrefix("[") || path.isEmpty ? c : "." + c }
        return (repeatLine, path)
    }

    /// The key a line (without its indentation) starts with, if it starts with `key:`.
    static func leadingKey(_ t: String) -> String? {
        var s = Substring(t)
        if s.hasPrefix("- ") { s = s.dropFirst(2) }
        guard let colon = s.firstIndex(of: ":") else { return nil }
        let k = String(s[..<colon]).trimmed(" ")
        guard !k.isEmpty, !k.contains(where: { "{}[],#&*!|>'\"%@`".contains($0) }) else { return nil }
        return k
    }

    /// The keys whose value is an open `{` in `prefix` (a line up to a key), outermost first.
    static func flowParents(_ prefix: String) -> [String] {
        var out: [String] = [], depth = 0, token = ""
        var keys: [(depth: Int, key: String)] = []
        for ch in prefix {
            switch ch {
            case "{":
                if let k = keys.last(where: { $0.depth == depth })?.key { out.append(k) }
                depth += 1
                token = ""
            case "}":
                depth -= 1
                if !out.isEmpty { out.removeLast() }
                token = ""
            case ":":
                var k = token.trimmed(" ")
                if k.hasPrefix("- ") { k = String(k.dropFirst(2)).trimmed(" ") }   // a list item's first key
                if !k.isEmpty { keys.append((depth, k)) }
                token = ""
            case ",": token = ""
            default: token.append(ch)
            }
        }
        return out
    }
}

private extension String {
    func trimmed(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

import Foundation
import MMUSpec

/// A trace file read back: what `replay` needs to rebuild the model and re-run the actions.
public struct LoadedTrace: Sendable {
    public let file: String
    public let spec: CheckSpec
    public let mutations: [String]
    public let invariant: String?
    /// (index in the model's action list, description) per step.
    public let steps: [(index: Int, action: String, line: Int)]
}

/// Reads trace files; every problem is a `SpecError` with file, line and field.
public enum TraceReader {
    public static func load(file: String) throws(SpecError) -> LoadedTrace {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw SpecError(file: file, line: 0, key: "file", message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpecError(file: file, line: 0, key: "file", message: "not UTF-8 text")
        }
        let lines = LineIndex(text)
        if let (offset, why) = StrictJSON.problem(Array(data)) {
            let line = 1 + data.prefix(offset).reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            throw SpecError(file: file, line: line, key: "json", message: "not valid JSON (\(why))")
        }
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            let info = (error as NSError).userInfo
            let why = info["NSDebugDescription"] as? String ?? "syntax error"
            // Foundation reports the offset either as a key or only inside the message.
            var offset = info["NSJSONSerializationErrorIndex"] as? Int
            if offset == nil, let r = why.range(of: #"character (\d+)"#, options: .regularExpression) {
                offset = Int(why[r].dropFirst("character ".count))
            }
            throw SpecError(file: file, line: offset.map { lines.line(ofUTF16Offset: $0) } ?? 1, key: "json",
                            message: "not valid JSON (\(why))")
        }
        func fail(_ key: String, _ message: String, near needle: String? = nil) -> SpecError {
            SpecError(file: file, line: needle.map { lines.line(of: $0) } ?? 1, key: key, message: message)
        }
        guard let top = root as? [String: Any] else { throw fail("(top level)", "expected a JSON object") }
        guard let meta = top["#meta"] as? [String: Any] else { throw fail("#meta", "missing or not an object") }
        guard meta["format"] as? String == TraceFile.formatName else {
            throw fail("#meta.format", "expected \"\(TraceFile.formatName)\"", near: "\"format\"")
        }
        guard let version = StrictJSON.integer(meta["version"]), version == TraceFile.formatVersion else {
            throw fail("#meta.version", "expected \(TraceFile.formatVersion)", near: "\"version\"")
        }
        guard let modelName = meta["model"] as? String, let level = CheckSpec.Level(rawValue: modelName) else {
            throw fail("#meta.model", "expected one of: " + CheckSpec.Level.allCases.map(\.rawValue).joined(separator: ", "),
                       near: "\"model\"")
        }
        // Every field of the configuration as JSON spells it: integers as integers, switches as
        // true / false (Foundation would read 2.0 or true as a number), no unknown key.
        if let c = meta["config"] as? [String: Any] {
            let fields = configFields
            for (k, v) in c.sorted(by: { $0.key < $1.key }) {
                if fields.switches.contains(k) {
                    if StrictJSON.boolean(v) == nil { throw fail("#meta.config.\(k)", "expected true or false", near: "\"\(k)\"") }
                } else if fields.numbers.contains(k) {
                    if StrictJSON.integer(v) == nil { throw fail("#meta.config.\(k)", "expected an integer", near: "\"\(k)\"") }
                } else {
                    throw fail("#meta.config.\(k)", "unknown key; expected: " + fields.numbers.union(fields.switches).sorted().joined(separator: ", "),
                               near: "\"\(k)\"")
                }
            }
            for k in fields.required.sorted() where c[k] == nil {
                throw fail("#meta.config.\(k)", "missing (a trace names every field of its configuration)", near: "\"config\"")
            }
        }
        guard let configObject = meta["config"], JSONSerialization.isValidJSONObject(configObject),
              let configData = try? JSONSerialization.data(withJSONObject: configObject),
              let config = try? JSONDecoder().decode(MMUConfig.self, from: configData) else {
            throw fail("#meta.config", "missing or not a model configuration", near: "\"config\"")
        }
        do { try config.validate() } catch {
            throw fail("#meta.config.\(error.field)", error.message, near: "\"\(camel(error.field))\"")
        }
        if level == .guest {
            // The guest's layout rules, as a guest spec's (bad input, not a guest that BUGs).
            do { try ModelCatalog.validateGuest(config) } catch {
                throw fail("#meta.config.\(error.field)", error.message, near: "\"\(camel(error.field))\"")
            }
        }
        var spec = CheckSpec(file: meta["spec"] as? String ?? file, name: meta["specName"] as? String ?? "trace",
                             level: level, config: config)
        for (key, value) in [("operations", meta["operations"]), ("entryFlags", meta["entryFlags"]), ("mutations", meta["mutations"])] {
            guard let value, !(value is NSNull) else { continue }
            let ok = key == "entryFlags" ? value is [[String]] : value is [String]
            if !ok {
                throw fail("#meta.\(key)", key == "entryFlags" ? "expected a list of lists of flag names" : "expected a list of names",
                           near: "\"\(key)\"")
            }
        }
        if let ops = meta["operations"] as? [String] {
            let known = ModelCatalog.operationNames(level)
            if let bad = ops.first(where: { !known.contains($0) }) {
                throw fail("#meta.operations", "unknown operation '\(bad)'", near: "\"\(bad)\"")
            }
            spec.operations = ops
        }
        if let flags = meta["entryFlags"] as? [[String]] {
            var choices: [PTEFlags] = []
            for set in flags {
                var f: PTEFlags = []
                for n in set {
                    guard let flag = PTEFlags(name: n) else {
                        throw fail("#meta.entryFlags", "unknown flag '\(n)'", near: "\"\(n)\"")
                    }
                    f.insert(flag)
                }
                choices.append(f)
            }
            spec.entryFlags = choices
        }
        if let why = CostEstimate.problem(spec, ceiling: ExplorerOptions.defaultMemoryCeiling) {
            throw fail("#meta.config", why, near: "\"config\"")
        }
        let mutations = meta["mutations"] as? [String] ?? []
        if let bad = mutations.first(where: { XenMutation(rawValue: $0) == nil && GuestMutation(rawValue: $0) == nil }) {
            throw fail("#meta.mutations", "unknown mutation '\(bad)'", near: "\"\(bad)\"")
        }
        // A mutation of the other level cannot be applied (the guest model runs Xen unmutated,
        // the hypervisor model has no guest): refused, never dropped while the header says it
        // was applied.
        let ofLevel: (String) -> Bool = level == .guest ? { GuestMutation(rawValue: $0) != nil } : { XenMutation(rawValue: $0) != nil }
        if let other = mutations.first(where: { !ofLevel($0) }) {
            throw fail("#meta.mutations", "'\(other)' is a \(level == .guest ? "hypervisor" : "guest") mutation; a \(level.rawValue) trace can apply only "
                       + (level == .guest ? GuestMutation.allCases.map(\.rawValue) : XenMutation.allCases.map(\.rawValue)).joined(separator: ", "),
                       near: "\"\(other)\"")
        }
        var invariant: String?
        // `reach` (hypervisor level only) names its pseudo-invariant: no verdict on replay.
        if let v = meta["invariant"], !(v is NSNull), !(level == .hypervisor && v as? String == Reach.targetInvariant) {
            let names = (level == .guest ? Invariant.guestLevel : Invariant.hypervisorLevel).map(\.rawValue)
            guard let name = v as? String, names.contains(name) else {
                throw fail("#meta.invariant", "expected an invariant of the \(level.rawValue) model: " + names.joined(separator: ", "),
                           near: "\"invariant\"")
            }
            invariant = name
        }
        guard let actions = top["actions"] as? [[String: Any]] else {
            throw fail("actions", "missing or not a list of objects", near: "\"actions\"")
        }
        var steps: [(index: Int, action: String, line: Int)] = []
        // The line of each step's "step": N key, found in one pass over the text (the JSON may
        // be laid out any way, all on one line too): the k-th step is the first "step": k
        // after the (k-1)-th.
        let actionsLine = lines.line(of: "\"actions\"")
        let stepKeys = lines.matches(of: #""step"\s*:\s*([0-9]{1,9})(?![0-9])"#, fromLine: actionsLine)
        var nextKey = 0
        var lastLine = actionsLine
        for (i, a) in actions.enumerated() {
            while nextKey < stepKeys.count && stepKeys[nextKey].value != i + 1 { nextKey += 1 }
            let line = nextKey < stepKeys.count ? stepKeys[nextKey].line : lastLine
            if nextKey < stepKeys.count { nextKey += 1 }
            lastLine = line
            guard let index = StrictJSON.integer(a["index"]), index >= 0 else {
                throw SpecError(file: file, line: line, key: "actions[\(i)].index", message: "missing or not a non-negative integer")
            }
            guard let desc = a["action"] as? String else {
                throw SpecError(file: file, line: line, key: "actions[\(i)].action", message: "missing or not a string")
            }
            steps.append((index, desc, line))
        }
        return LoadedTrace(file: file, spec: spec, mutations: mutations, invariant: invariant, steps: steps)
    }

    /// The fields of a configuration as traces write them, read off `MMUConfig`'s own
    /// encoding (no second list): the switches, the integers, and those every trace has
    /// (`compatL3` is written only when on).
    static let configFields: (switches: Set<String>, numbers: Set<String>, required: Set<String>) = {
        func fields(_ c: MMUConfig) -> [String: Any] {
            (try? JSONEncoder().encode(c)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        }
        var on = MMUConfig()
        on.compatL3 = true
        let all = fields(on)
        let switches = Set(all.keys.filter { StrictJSON.boolean(all[$0]) != nil })
        return (switches, Set(all.keys).subtracting(switches), Set(fields(MMUConfig()).keys))
    }()

    static func camel(_ kebab: String) -> String {
        let parts = kebab.split(separator: "-")
        return parts.enumerated().map { $0.offset == 0 ? String($0.element) : $0.element.capitalized }.joined()
    }
}

/// Line numbers of a text, for error messages.
struct LineIndex {
    let lines: [Substring]
    let text: String
    init(_ text: String) {
        self.text = text
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }
    func line(ofUTF16Offset offset: Int) -> Int {
        let prefix = text.utf16.prefix(offset)
        return prefix.reduce(1) { $0 + ($1 == 10 ? 1 : 0) }
    }
    /// Every match of `pattern` (whose first group is a number) at or after line `fromLine`, in
    /// order, with its number and line: one pass over the text.
    func matches(of pattern: String, fromLine: Int) -> [(value: Int, line: Int)] {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return [] }
        let ns = text as NSString
        var startOffset = 0
        var line = 1
        // The UTF-16 offset where line `fromLine` starts.
        if fromLine > 1 {
            var count = 1
            for (i, c) in text.utf16.enumerated() where c == 10 {
                count += 1
                if count == fromLine { startOffset = i + 1; break }
            }
            line = fromLine
        }
        var out: [(value: Int, line: Int)] = []
        var scanned = startOffset
        let utf16 = Array(text.utf16)
        re.enumerateMatches(in: text, range: NSRange(location: startOffset, length: ns.length - startOffset)) { m, _, _ in
            guard let m, m.numberOfRanges > 1, let v = Int(ns.substring(with: m.range(at: 1))) else { return }
            while scanned < m.range.location { if utf16[scanned] == 10 { line += 1 }; scanned += 1 }
            out.append((v, line))
        }
        return out
    }

    /// The first line at or after `from` (1-based) that contains `needle`; `from` if none.
    func line(of needle: String, from: Int = 1) -> Int {
        for i in max(0, from - 1)..<lines.count where lines[i].contains(needle) { return i + 1 }
        return max(1, from)
    }
}

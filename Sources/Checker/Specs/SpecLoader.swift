import Foundation
import MMUSpec
import Yams

/// Reads spec files (YAML). Every problem is a `SpecError` naming the file,
/// the line and the key: unknown keys, wrong types, out-of-range sizes,
/// unknown operation, invariant or proof names.
public enum SpecLoader {
    /// Loads every `.yaml` / `.yml` file under `paths` (files or directories), sorted by path.
    public static func load(paths: [String]) throws(SpecError) -> [CheckSpec] {
        var files: [String] = []
        for p in paths {
            if try InputPaths.isDirectory(p) {
                let found = InputPaths.yamlFiles(in: p)
                if found.isEmpty {
                    throw SpecError(file: p, line: 0, key: "path", message: "no .yaml spec files in this directory")
                }
                files += found
            } else {
                files.append(p)
            }
        }
        var specs: [CheckSpec] = []
        for f in files { specs.append(try load(file: f)) }
        return specs
    }

    public static func load(file: String) throws(SpecError) -> CheckSpec {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isDir), isDir.boolValue {
            throw SpecError(file: file, line: 0, key: "file", message: "is a directory (name a spec file; `check` takes directories)")
        }
        return try parse(try text(of: file), file: file)
    }

    /// The UTF-8 text of a spec or scenario file.
    static func text(of file: String) throws(SpecError) -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw SpecError(file: file, line: 0, key: "file", message: "no such file, or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            let good = data.prefix { _ in true }
            let line = 1 + (String(decoding: good, as: UTF8.self).prefix { $0 != "\u{FFFD}" }.filter { $0 == "\n" }.count)
            throw SpecError(file: file, line: line, key: "file", message: "not UTF-8 text")
        }
        return text
    }

    // MARK: parsing

    static let topKeys = ["name", "model", "sizes", "features", "operations", "operations-except", "entry-flags",
                          "invariants", "bounds", "symmetry", "checks", "proofs", "proof-encoding", "engine", "diff", "merge-stale-types",
                          "expect-reached", "not-reached"]
    static let sizeKeys = ["levels", "entries-per-table", "machine-frames", "pfns", "vcpus", "mms",
                           "task-size", "fixaddr-top", "multicall-batch"]
    static let featureKeys = ["recursive-entries", "preserve-ad", "save-restore", "compat-l3"]
    static let boundKeys = ["depth", "max-states", "seconds", "memory-mb"]
    static let diffKeys = ["runs", "steps", "seed", "states"]

    public static func parse(_ text: String, file: String) throws(SpecError) -> CheckSpec {
        let root = try document(text, file: file)
        let r = Reader(file: file)
        let top = try r.mapping(root, key: "(top level)", allowed: topKeys)

        let name = try top["name"].map { n throws(SpecError) in try r.string(n, key: "name") }
            ?? ((file as NSString).lastPathComponent as NSString).deletingPathExtension.escapingControlCharacters
        let (level, config) = try modelAndConfig(top, root: root, r: r)

        var spec = CheckSpec(file: file, name: name, level: level, config: config)
        /// The line of a top-level key (not of its value: a block list's value starts a line lower).
        func keyLine(_ key: String) -> Int {
            root.mapping?.first { $0.key.string == key }?.key.mark?.line ?? 0
        }
        let known = ModelCatalog.operationNames(level)
        /// Why `op` cannot be listed in this configuration, if it cannot.
        func notGenerated(_ op: String) -> String? {
            if !known.contains(op) { return "unknown \(level.rawValue) operation '\(op)'; known: \(known.joined(separator: ", "))" }
            if ModelCatalog.unexplored(level).contains(op) {
                return "'\(op)' is an operation of the spec that the explorer never generates (see `mmucheck list`)"
            }
            if let why = ModelCatalog.featureMissing(op, level: level, config: config) {
                return "'\(op)' \(why), so it would explore nothing"
            }
            return nil
        }
        /// What the explorer generates in this configuration when no list narrows it.
        let generated = ModelCatalog.generated(level, config: config)
        if let ops = top["operations"] {
            if let other = top["operations-except"] {
                throw r.error(other, "operations-except", "give either operations or operations-except, not both")
            }
            spec.operations = try r.names(ops, key: "operations", empty: "must name at least one operation (omit the key for all)", notGenerated)
            if level == .hypervisor, let listed = spec.operations {
                // The table says which operations the explorer generates; a list that leaves one
                // out narrows the adversary: allowed, but easy to do by accident, so it is said.
                // `operations-except` leaves operations out on purpose, without a warning.
                let missed = generated.filter { !listed.contains($0) }
                if !missed.isEmpty {
                    spec.warnings.append("\(file):\(keyLine("operations")): warning: operations: \(missed.joined(separator: ", ")) not listed: "
                                         + "the explorer will not generate \(missed.count == 1 ? "it" : "them") (list \(missed.count == 1 ? "it" : "them"), "
                                         + "or name what to leave out with operations-except)")
                }
            }
        }
        if let ex = top["operations-except"] {
            let except = try r.names(ex, key: "operations-except", empty: "must name at least one operation (omit the key for all)", notGenerated)
            let kept = generated.filter { !except.contains($0) }
            if kept.isEmpty { throw r.error(ex, "operations-except", "leaves no operation to explore") }
            spec.operations = kept
        }
        if let flags = top["entry-flags"] {
            var choices: [PTEFlags] = []
            for item in try r.sequence(flags, key: "entry-flags") {
                var set: PTEFlags = []
                for f in try r.sequence(item, key: "entry-flags") {
                    set.insert(try r.flag(try r.string(f, key: "entry-flags"), f, key: "entry-flags"))
                }
                guard !choices.contains(set) else {
                    throw r.error(item, "entry-flags", "the flag set [\(set)] is listed twice (an alias or a copy adds nothing but actions)")
                }
                choices.append(set)
            }
            if choices.isEmpty { throw r.error(flags, "entry-flags", "must name at least one flag set") }
            spec.entryFlags = choices
        }
        if let invs = top["invariants"] {
            let allowed = level == .hypervisor ? Invariant.hypervisorLevel : Invariant.guestLevel
            if let s = invs.scalar?.string, s == "all" {
                spec.invariants = nil
            } else {
                spec.invariants = try r.names(invs, key: "invariants", empty: "must name at least one invariant (or: all)") { n in
                    guard let inv = Invariant(rawValue: n), allowed.contains(inv) else {
                        return "unknown \(level.rawValue) invariant '\(n)'; known: " + allowed.map(\.rawValue).joined(separator: ", ")
                    }
                    return nil
                }.compactMap(Invariant.init(rawValue:))
            }
        }
        if let bounds = top["bounds"] {
            let b = try r.mapping(bounds, key: "bounds", allowed: boundKeys)
            if let n = b["depth"] { spec.maxDepth = try r.int(n, key: "bounds.depth", range: 0...10_000) }
            if let n = b["max-states"] { spec.maxStates = try r.int(n, key: "bounds.max-states", range: 1...4_000_000_000) }
            if let n = b["seconds"] { spec.maxSeconds = Double(try r.int(n, key: "bounds.seconds", range: 1...86_400)) }
            if let n = b["memory-mb"] { spec.maxMemoryMB = try r.int(n, key: "bounds.memory-mb", range: 16...1_048_576) }
        }
        if let n = top["symmetry"] { spec.symmetry = try r.bool(n, key: "symmetry") }
        if let n = top["merge-stale-types"] { spec.mergeStaleTypes = try r.bool(n, key: "merge-stale-types") }
        if let checks = top["checks"] {
            spec.checks = try r.names(checks, key: "checks", empty: "must name at least one check") { c in
                CheckSpec.CheckKind(rawValue: c) == nil
                    ? "unknown check '\(c)'; known: " + CheckSpec.CheckKind.allCases.map(\.rawValue).joined(separator: ", ") : nil
            }.compactMap(CheckSpec.CheckKind.init(rawValue:))
        }
        if let n = top["engine"] {
            let e = try r.string(n, key: "engine")
            guard let engine = CheckSpec.Engine(rawValue: e) else {
                throw r.error(n, "engine", "unknown engine '\(e)'; one of: " + CheckSpec.Engine.allCases.map(\.rawValue).joined(separator: ", "))
            }
            if engine == .fast {
                guard level == .hypervisor else { throw r.error(n, "engine", "the fast engine covers the hypervisor model only") }
                if let why = Engines.fastUnsupported(spec) { throw r.error(n, "engine", "fast: \(why)") }
            }
            spec.engine = engine
        }
        if let d = top["diff"] {
            let m = try r.mapping(d, key: "diff", allowed: diffKeys)
            if let n = m["runs"] { spec.diff.runs = try r.int(n, key: "diff.runs", range: 0...1_000_000) }
            if let n = m["steps"] { spec.diff.steps = try r.int(n, key: "diff.steps", range: 1...100_000) }
            if let n = m["seed"] { spec.diff.seed = UInt64(try r.int(n, key: "diff.seed", range: 0...Int.max)) }
            if let n = m["states"] { spec.diff.states = try r.int(n, key: "diff.states", range: 0...10_000_000) }
        }
        if spec.checks.contains(.diff) {
            let where_ = top["checks"] ?? root
            guard level == .hypervisor else { throw r.error(where_, "checks", "diff compares the fast hypervisor engine with the spec: hypervisor model only") }
            if let why = Engines.fastUnsupported(spec) { throw r.error(where_, "checks", "diff: the fast engine cannot run this configuration: \(why)") }
        }
        if let proofs = top["proofs"], config.compatL3 {
            throw r.error(proofs, "proofs", "the symbolic encoding of Xen's rules does not include the compat L3 rules (features.compat-l3): prove a configuration without them")
        }
        if let proofs = top["proofs"] {
            // Names, globs or groups (ProofSelection); inductive ones are proved at this spec's sizes.
            spec.proofs = try r.names(proofs, key: "proofs", empty: "must name at least one obligation (omit the key for the arithmetic ones)") { p in
                ProofSelection.problem(p, sized: true)
            }
        }
        if let n = top["proof-encoding"] {
            let e = try r.string(n, key: "proof-encoding")
            guard let encoding = ProofEncoding(rawValue: e) else {
                throw r.error(n, "proof-encoding", "unknown encoding '\(e)'; one of: " + ProofEncoding.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard level == .hypervisor else { throw r.error(n, "proof-encoding", "the inductive proofs are of the hypervisor model; this spec is a guest one") }
            spec.proofEncoding = encoding
            // Read by `prove` and by `check` when checks include prove; said when nothing reads it.
            if !spec.checks.contains(.prove) {
                spec.warnings.append("\(file):\(keyLine("proof-encoding")): warning: proof-encoding: `mmucheck check` ignores it here "
                                     + "(checks has no prove); `mmucheck prove --spec` uses it")
            }
        }
        let offered = ModelCatalog.offered(spec)
        if let n = top["expect-reached"] {
            guard spec.checks.contains(.explore) else {
                throw r.error(n, "expect-reached", "the explore check judges these conditions, and this spec's checks do not include explore")
            }
            spec.expectReached = try reachConditions(n, level: level, offered: offered, known: known, r: r)
        }
        if let n = top["not-reached"] {
            guard spec.checks.contains(.explore) else {
                throw r.error(n, "not-reached", "the explore check judges these claims, and this spec's checks do not include explore")
            }
            let m = try r.mapping(n, key: "not-reached", allowed: known)
            if m.isEmpty { throw r.error(n, "not-reached", "must name at least one operation with its reason (omit the key for none)") }
            for op in known {   // in the level's order
                guard let v = m[op] else { continue }
                // An operation the spec leaves out may be named too: the report then says why
                // it is left out instead of only that it is.
                if ModelCatalog.unexplored(level).contains(op) {
                    throw r.error(v, "not-reached.\(op)", "the explorer never generates '\(op)'; the coverage report already says why (`mmucheck list`)")
                }
                if spec.expectReached.contains(where: {
                    switch $0.kind { case .operation(let o), .outcome(let o, _): o == op; case .state: false }
                }) {
                    throw r.error(v, "not-reached.\(op)", "'\(op)' is also in expect-reached")
                }
                let why = try r.string(v, key: "not-reached.\(op)", what: "a reason (a sentence saying why it cannot fire)")
                spec.notReached.append((op, why, n.mapping?.first { $0.key.string == op }?.key.mark?.line ?? v.mark?.line ?? 0))
            }
        }
        // The cost before anything is built: an action list that cannot fit is bad input.
        if let why = CostEstimate.problem(spec, ceiling: spec.maxMemoryMB.map { UInt64($0) * 1_048_576 } ?? ExplorerOptions.defaultMemoryCeiling) {
            let key = top["entry-flags"] != nil ? "entry-flags" : "sizes"
            throw SpecError(file: file, line: keyLine(key) > 0 ? keyLine(key) : keyLine("sizes"), key: key, message: why)
        }
        return spec
    }

    /// `expect-reached:`: a list of operation names, `operation: outcome` pairs and state
    /// predicate names (`ReachPredicates`), each checked against what this spec explores.
    static func reachConditions(_ node: Node, level: CheckSpec.Level, offered: Set<String>, known: [String],
                                r: Reader) throws(SpecError) -> [ReachCondition] {
        let key = "expect-reached"
        let predicates = ReachPredicates.entries(level).map(\.name)
        let outcomes = ModelCatalog.outcomeLabels(level)
        func operation(_ op: String, _ n: Node) throws(SpecError) {
            if offered.contains(op) { return }
            if known.contains(op) { throw r.error(n, key, "'\(op)' is not an operation this spec explores (operations:, or `mmucheck list`), so it cannot fire") }
            throw r.error(n, key, "'\(op)' is neither an operation nor a state predicate of the \(level.rawValue) model; "
                          + "predicates: \(predicates.joined(separator: ", ")) (`mmucheck list`)")
        }
        var out: [ReachCondition] = []
        for item in try r.sequence(node, key: key) {
            let line = item.mark?.line ?? 0
            let c: ReachCondition
            if let pair = item.mapping {
                guard pair.count == 1, let (k, v) = pair.first, let op = k.scalar?.string else {
                    throw r.error(item, key, "an outcome is one `operation: outcome` pair, e.g. `pin: -EINVAL`")
                }
                try operation(op, k)
                let outcome = try r.string(v, key: "\(key).\(op)")
                guard outcomes.contains(outcome) else {
                    throw r.error(v, "\(key).\(op)", "unknown outcome '\(outcome)'; one of: \(outcomes.joined(separator: ", "))")
                }
                if ["written", "emulated"].contains(outcome), op != "guest-store" {
                    throw r.error(v, "\(key).\(op)", "'\(outcome)' is an outcome of guest-store only")
                }
                c = ReachCondition(.outcome(operation: op, outcome: outcome), line: line)
            } else {
                let name = try r.string(item, key: key)
                if predicates.contains(name) {
                    c = ReachCondition(.state(name), line: line)
                } else {
                    try operation(name, item)
                    c = ReachCondition(.operation(name), line: line)
                }
            }
            guard !out.contains(where: { $0.kind == c.kind }) else { throw r.error(item, key, "'\(c)' is listed twice") }
            out.append(c)
        }
        if out.isEmpty { throw r.error(node, key, "must name at least one condition (omit the key for none)") }
        return out
    }

    /// The YAML document of a spec or scenario file; a syntax error is `FILE:LINE: yaml: ...`.
    static func document(_ text: String, file: String) throws(SpecError) -> Node {
        // Control characters (and NEL, U+2028, U+2029, which YAML counts as line breaks and
        // editors do not, so every later line number would be off) are refused outright.
        if let (u, line) = text.firstDisallowedControl() {
            throw SpecError(file: file, line: line, key: "file",
                            message: "contains the control character U+\(String(format: "%04X", u.value)) (only tab, newline and carriage return are allowed)")
        }
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw SpecError(file: file, line: 1, key: "file", message: "empty file")
            }
            return node
        } catch let e as SpecError {
            throw e
        } catch let e as YamlError {
            throw yamlError(e, file: file)
        } catch {
            throw SpecError(file: file, line: 0, key: "file", message: "\(error)")
        }
    }

    /// The `model:`, `sizes:` and `features:` keys of a spec or scenario file: the level and
    /// a validated configuration (defaults for what is not given; a default that fails a
    /// rule is named as one). One reading of these keys for both kinds of file.
    static func modelAndConfig(_ top: [String: Node], root: Node, r: Reader) throws(SpecError) -> (CheckSpec.Level, MMUConfig) {
        let file = r.file
        guard let modelNode = top["model"] else {
            throw SpecError(file: file, line: root.mark?.line ?? 1, key: "model",
                            message: "missing; one of: \(CheckSpec.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let levelName = try r.string(modelNode, key: "model")
        guard let level = CheckSpec.Level(rawValue: levelName) else {
            throw r.error(modelNode, "model", "unknown model '\(levelName)'; one of: "
                          + CheckSpec.Level.allCases.map(\.rawValue).joined(separator: ", "))
        }

        var config = MMUConfig()
        var sizeNodes: [String: Node] = [:]
        if let sizes = top["sizes"] {
            sizeNodes = try r.mapping(sizes, key: "sizes", allowed: sizeKeys)
            func int(_ k: String) throws(SpecError) -> Int? {
                try sizeNodes[k].map { n throws(SpecError) in try r.int(n, key: "sizes.\(k)") }
            }
            config = MMUConfig(levels: try int("levels") ?? config.levels,
                               entriesPerTable: try int("entries-per-table") ?? config.entriesPerTable,
                               machineFrames: try int("machine-frames") ?? config.machineFrames,
                               pfns: try int("pfns") ?? config.pfns,
                               vcpus: try int("vcpus") ?? config.vcpus,
                               mms: try int("mms") ?? config.mms,
                               taskSize: try int("task-size"), fixaddrTop: try int("fixaddr-top"),
                               multicallBatch: try int("multicall-batch") ?? 32)
        }
        var featureNodes: [String: Node] = [:]
        if let features = top["features"] {
            featureNodes = try r.mapping(features, key: "features", allowed: featureKeys)
            if let n = featureNodes["recursive-entries"] { config.recursiveEntries = try r.bool(n, key: "features.recursive-entries") }
            if let n = featureNodes["preserve-ad"] { config.preserveAD = try r.bool(n, key: "features.preserve-ad") }
            if let n = featureNodes["save-restore"] { config.saveRestore = try r.bool(n, key: "features.save-restore") }
            if let n = featureNodes["compat-l3"] { config.compatL3 = try r.bool(n, key: "features.compat-l3") }
        }
        func sizeError(_ error: ConfigError) -> SpecError {
            if let n = featureNodes[error.field] { return r.error(n, "features.\(error.field)", error.message) }
            let node = sizeNodes[error.field] ?? top["sizes"] ?? root
            let note = sizeNodes[error.field] == nil ? " (this is the default value: set sizes.\(error.field) in the file)" : ""
            return r.error(node, "sizes.\(error.field)", error.message + note)
        }
        do { try config.validate() } catch { throw sizeError(error) }
        if level == .guest {
            do { try ModelCatalog.validateGuest(config) } catch { throw sizeError(error) }
        }
        return (level, config)
    }

    static func yamlError(_ e: YamlError, file: String) -> SpecError {
        switch e {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return SpecError(file: file, line: mark.line, key: "yaml", message: problem)
        case let .duplicatedKeysInMapping(duplicates, context):
            guard let key = duplicates.first else { return SpecError(file: file, line: context.mark.line, key: "yaml", message: "key given more than once") }
            let at = DuplicateKeyPath.locate(context.text, key: key, line: context.mark.line, column: context.mark.column)
            return SpecError(file: file, line: at.line, key: at.path, message: "key given more than once")
        default:
            return SpecError(file: file, line: 0, key: "yaml", message: "\(e)")
        }
    }

    /// Typed access to YAML nodes, every failure a `SpecError` at the node's line.
    struct Reader {
        let file: String

        func error(_ node: Node, _ key: String, _ message: String) -> SpecError {
            SpecError(file: file, line: node.mark?.line ?? 0, key: key, message: message)
        }

        func mapping(_ node: Node, key: String, allowed: [String]) throws(SpecError) -> [String: Node] {
            guard let m = node.mapping else { throw error(node, key, "expected a mapping (key: value lines)") }
            var out: [String: Node] = [:]
            for (k, v) in m {
                guard let name = k.scalar?.string else { throw error(k, key, "keys must be plain names") }
                guard !name.isEmpty else { throw error(k, key, "an empty key (\"\"); expected one of: \(allowed.joined(separator: ", "))") }
                let full = key == "(top level)" ? name : "\(key).\(name)"
                guard allowed.contains(name) else {
                    throw error(k, full, "unknown key; expected one of: \(allowed.joined(separator: ", "))")
                }
                guard out[name] == nil else { throw error(k, full, "key given more than once") }
                out[name] = v
            }
            return out
        }

        func sequence(_ node: Node, key: String) throws(SpecError) -> [Node] {
            guard let s = node.sequence else { throw error(node, key, "expected a list") }
            return Array(s)
        }

        /// A non-empty list of distinct names, each accepted by `problem` (nil = fine).
        func names(_ node: Node, key: String, empty: String, _ problem: (String) -> String?) throws(SpecError) -> [String] {
            var list: [String] = []
            for item in try sequence(node, key: key) {
                let name = try string(item, key: key)
                if let why = problem(name) { throw error(item, key, why) }
                guard !list.contains(name) else { throw error(item, key, "'\(name)' is listed twice") }
                list.append(name)
            }
            if list.isEmpty { throw error(node, key, empty) }
            return list
        }

        func string(_ node: Node, key: String, what: String = "a name") throws(SpecError) -> String {
            guard let s = node.scalar?.string, !s.isEmpty else { throw error(node, key, "expected \(what)") }
            // A double-quoted YAML string can spell control characters ("\e[31m"): refused.
            if let u = s.unicodeScalars.first(where: String.isControl) {
                throw error(node, key, "contains the control character U+\(String(format: "%04X", u.value))")
            }
            return s
        }

        func int(_ node: Node, key: String, range: ClosedRange<Int>? = nil) throws(SpecError) -> Int {
            guard let scalar = node.scalar, scalar.style == .plain else { throw error(node, key, "expected an integer") }
            let s = scalar.string
            let v: Int?
            if s.hasPrefix("0x") { v = Int(s.dropFirst(2), radix: 16) } else { v = Int(s.replacingOccurrences(of: "_", with: "")) }
            guard let v else { throw error(node, key, "expected an integer, got '\(s)'") }
            if let range, !range.contains(v) {
                throw error(node, key, "must be in \(range.lowerBound)...\(range.upperBound), got \(v)")
            }
            return v
        }

        /// A flag by its name (`PTEFlags.named`).
        func flag(_ name: String, _ node: Node, key: String) throws(SpecError) -> PTEFlags {
            guard let f = PTEFlags(name: name) else {
                throw error(node, key, "unknown flag '\(name)'; known: " + PTEFlags.named.map(\.0).joined(separator: ", "))
            }
            return f
        }

        func bool(_ node: Node, key: String) throws(SpecError) -> Bool {
            switch node.scalar?.string {
            case "true": return true
            case "false": return false
            default: throw error(node, key, "expected true or false, got '\(node.scalar?.string ?? "a non-scalar")'")
            }
        }
    }
}

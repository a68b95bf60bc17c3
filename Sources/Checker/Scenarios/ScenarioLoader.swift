import Foundation
import MMUSpec
import Yams

/// Reads scenario files (YAML, docs/scenarios.md) with the spec files' reader: every problem
/// is a `SpecError` naming the file, the line and the key, and a declared starting state
/// that Xen could not be in is refused naming the frame and the rule.
public enum ScenarioLoader {
    static let topKeys = ["name", "cites", "spec", "model", "sizes", "features", "start", "steps"]
    static let stepKeys = ["vcpu", "expect", "done", "assert", "breaks", "note"]
    static let frameKeys = ["type", "validated", "pinned", "owner", "type-count", "general-count", "entries"]
    static let stateKeys = ["frames", "cr3", "m2p"]
    static let guestStateKeys = ["p2m", "page-pinned", "bug"]
    static let guestStartKeys = ["frames", "cr3", "m2p", "p2m", "page-pinned", "mms", "cpus"]
    static let mmKeys = ["pgd", "tables", "cpu-vm-mask", "exited"]
    static let cpuKeys = ["mm", "active-mm", "lazy-tlb", "xen-cr3", "xen-current-cr3"]

    /// Whether a YAML file is a scenario (its top level has a `steps` key) rather than a spec.
    /// A file that does not parse is not one (it is then read as a spec, which says why).
    public static func isScenario(file: String) -> Bool {
        guard let text = try? SpecLoader.text(of: file), let root = try? SpecLoader.document(text, file: file),
              let m = root.mapping else { return false }
        return m.contains { $0.key.scalar?.string == "steps" }
    }

    public static func load(file: String) throws(SpecError) -> Scenario {
        try parse(try SpecLoader.text(of: file), file: file)
    }

    public static func parse(_ text: String, file: String) throws(SpecError) -> Scenario {
        let root = try SpecLoader.document(text, file: file)
        let r = SpecLoader.Reader(file: file)
        let top = try r.mapping(root, key: "(top level)", allowed: topKeys)
        let name = try top["name"].map { n throws(SpecError) in try r.string(n, key: "name") }
            ?? ((file as NSString).lastPathComponent as NSString).deletingPathExtension.escapingControlCharacters

        var spec: CheckSpec
        if let specNode = top["spec"] {
            for k in ["model", "sizes", "features"] where top[k] != nil {
                throw r.error(top[k]!, k, "give either spec: (a spec file) or the model inline, not both")
            }
            let path = try r.string(specNode, key: "spec")
            let resolved = path.hasPrefix("/") ? path : ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(path)
            do { spec = try SpecLoader.load(file: resolved) } catch {
                throw r.error(specNode, "spec", "cannot use \(resolved): \(error)")
            }
        } else {
            let (level, config) = try SpecLoader.modelAndConfig(top, root: root, r: r)
            spec = CheckSpec(file: file, name: name, level: level, config: config)
        }
        var scenario = Scenario(file: file, name: name, spec: spec)
        if let c = top["cites"] {
            let items: [Node] = c.sequence.map(Array.init) ?? [c]
            for i in items { scenario.cites.append(try r.string(i, key: "cites")) }
        }
        let syntax = ScenarioSyntax(r: r, config: spec.config)
        if let s = top["start"] {
            scenario.startLine = s.mark?.line ?? 0
            switch spec.level {
            case .hypervisor: scenario.start = try declaredState(s, syntax: syntax)
            case .guest: scenario.guestStart = try declaredGuestState(s, syntax: syntax)
            }
        }
        guard let stepsNode = top["steps"] else {
            throw SpecError(file: file, line: root.mark?.line ?? 1, key: "steps", message: "missing: a scenario is a list of steps")
        }
        let items = try r.sequence(stepsNode, key: "steps")
        if items.isEmpty { throw r.error(stepsNode, "steps", "must list at least one step") }
        for (i, item) in items.enumerated() {
            scenario.steps.append(try step(item, index: i, level: spec.level, syntax: syntax))
        }
        return scenario
    }

    // MARK: - The declared starting state

    /// `start:` as a state: frames (default: guest-owned, untyped, zeroed), cr3s, m2p. It must
    /// be one Xen could be in: every hypervisor invariant holds in it (validated entries obey
    /// their level's rule, every reference demands its target's type in force, a validated
    /// frame is referenced, a pin holds a validated table, no page table is writable), and
    /// any count the file states is the count the references give.
    static func declaredState(_ n: Node, syntax: ScenarioSyntax) throws(SpecError) -> XenState {
        let m = try syntax.r.mapping(n, key: "start", allowed: stateKeys)
        var x = XenState(config: syntax.config)
        let frameLines = try declareXen(m, into: &x, syntax: syntax)
        try checkXen(x, n: n, frameLines: frameLines, syntax: syntax)
        return x
    }

    /// Applies `start:`'s `frames`, `cr3` and `m2p` to `x` (a named frame is declared whole:
    /// what it does not say is guest-owned, untyped, zeroed); returns each frame's line.
    /// Stated counts are checked against the references once the state is complete.
    static func declareXen(_ m: [String: Node], into x: inout XenState, syntax: ScenarioSyntax) throws(SpecError) -> [Int: Int] {
        let r = syntax.r
        var frameLines: [Int: Int] = [:]
        var statedCounts: [Assertion] = []
        if let frames = m["frames"] {
            let (facts, lines) = try frameFacts(frames, key: "start.frames", syntax: syntax)
            frameLines = lines
            for f in lines.keys { x.frames[f] = Frame.zeroed(entries: syntax.config.entriesPerTable) }
            var saysValidated = Set<Int>()
            for a in facts {
                switch a.fact {
                case .type(let f, let t):
                    if let level = t.level, level > syntax.config.levels {
                        throw SpecError(file: r.file, line: a.line, key: a.key, message: "an L\(level) table in a \(syntax.config.levels)-level machine")
                    }
                    x.frames[f].type = t
                case .validated(let f, let b): x.frames[f].validated = b; saysValidated.insert(f)
                case .pinned(let f, let b): x.frames[f].pinned = b
                case .owner(let f, let o): x.frames[f].owner = o
                case .entry(let f, let slot, let e): x.frames[f].entries[slot] = e
                case .typeCount, .generalCount: statedCounts.append(a)
                case .cr3, .m2p, .p2m, .pagePinned, .bug: break
                }
            }
            // A frame named with a type is in force unless it says not.
            for f in lines.keys where !saysValidated.contains(f) { x.frames[f].validated = x.frames[f].type != .none }
            for a in facts {
                guard case .owner(let f, .xen) = a.fact, x.frames[f].pinned || x.frames[f].type != .none else { continue }
                throw SpecError(file: r.file, line: a.line, key: a.key,
                                message: "a frame of Xen's is no page table or data page of the guest: it takes no type and no pin here")
            }
        }
        if let c = m["cr3"] {
            for (v, root) in try cr3s(c, key: "start.cr3", syntax: syntax) {
                if let root, !(0..<syntax.config.machineFrames).contains(root) {
                    throw r.error(c, "start.cr3", "f\(root) is not a machine frame (0...\(syntax.config.machineFrames - 1))")
                }
                x.cr3[v] = root
            }
        }
        if let p = m["m2p"] {
            for (mfn, pfn, node) in try m2ps(p, key: "start.m2p", syntax: syntax) {
                if let pfn, !(0..<syntax.config.pfns).contains(pfn) {
                    throw r.error(node, "start.m2p", "pfn \(pfn) is not a pfn of the guest (0...\(syntax.config.pfns - 1))")
                }
                x.m2p[mfn] = pfn
            }
        }
        let types = x.typeCounts(), generals = x.generalCounts()
        for a in statedCounts {
            let (actual, stated): (Int, Int)
            switch a.fact {
            case .typeCount(let f, let c): (actual, stated) = (types[f], c)
            case .generalCount(let f, let c): (actual, stated) = (generals[f], c)
            default: continue
            }
            if actual != stated {
                throw SpecError(file: r.file, line: a.line, key: a.key,
                                message: "the references of this state give \(actual), not \(stated) (counts are derived from the entries, pins and cr3s)")
            }
        }
        return frameLines
    }

    /// Every hypervisor invariant must hold in a declared state: Xen could not be in it otherwise.
    static func checkXen(_ x: XenState, n: Node, frameLines: [Int: Int], syntax: ScenarioSyntax) throws(SpecError) {
        let r = syntax.r
        /// The line of the frame a sentence names first (the `start:` line when none).
        func line(of sentence: String) -> Int {
            // The table of an entry the sentence names, else the first frame it names.
            for (pattern, prefix) in [(#"entry (\d+)\["#, "entry "), (#"frame (\d+)"#, "frame ")] {
                if let r = sentence.range(of: pattern, options: .regularExpression),
                   let f = Int(sentence[r].dropFirst(prefix.count).prefix { $0.isNumber }), let l = frameLines[f] { return l }
            }
            return n.mark?.line ?? 0
        }
        for (inv, why) in x.violations() {
            throw SpecError(file: r.file, line: line(of: why), key: "start",
                            message: "Xen cannot be in this state: \(inv.rawValue): \(why)")
        }
        // Validation's create_pae_xen_mappings rule holds of every validated L3 Xen keeps.
        let counts = x.typeCounts()
        for (f, frame) in x.frames.enumerated() where frame.type == .l3 && frame.validated {
            if let l2 = x.sharedSlot3L2(ofL3: f, counts: counts) {
                throw SpecError(file: r.file, line: frameLines[f] ?? n.mark?.line ?? 0, key: "start",
                                message: "Xen cannot be in this state: the L2 in slot 3 of the L3 frame \(f) (frame \(l2)) is shared (create_pae_xen_mappings)")
            }
        }
    }

    /// `start:` of a guest scenario: the booted guest with the file's changes - Xen's frames,
    /// cr3s and m2p as at hypervisor level, the p2m, PagePinned, the mms and the CPUs (each
    /// CPU idle: no lazy mode, nothing in flight; a scenario reaches a state mid-operation
    /// with steps). Every invariant of both levels must hold in it.
    static func declaredGuestState(_ n: Node, syntax: ScenarioSyntax) throws(SpecError) -> GuestState {
        let r = syntax.r
        let m = try r.mapping(n, key: "start", allowed: guestStartKeys)
        var g = GuestState(config: syntax.config)
        if let bug = g.bug { throw r.error(n, "start", "the guest does not boot in this configuration: \(bug)") }
        let frameLines = try declareXen(m, into: &g.xen, syntax: syntax)
        // Every pfn below goes through `syntax.pfn`: in range, refused at its own line.
        var entries = (0..<syntax.config.pfns).map { g.pfnToMFN($0) }
        for a in try guestFacts(m, key: "start", syntax: syntax) {
            switch a.fact {
            case .p2m(let q, let mfn): entries[q] = mfn
            case .pagePinned(let q, true): g.pagePinned.insert(q)
            case .pagePinned(let q, false): g.pagePinned.remove(q)
            default: break
            }
        }
        if let p = m["p2m"] {
            var table = P2M(maxDomainPages: syntax.config.pfns)
            for (q, mfn) in entries.enumerated() where mfn != P2M.invalidEntry {
                if let e = table.setPhysToMachine(q, mfn) { throw r.error(p, "start.p2m", "set_phys_to_machine(\(q), \(mfn)) fails: \(e)") }
            }
            g.p2m = table
        }
        if let mmsNode = m["mms"] {
            guard let mm = mmsNode.mapping else { throw r.error(mmsNode, "start.mms", "expected MM: {pgd, tables, cpu-vm-mask, exited} or MM: free lines") }
            for (k, v) in mm {
                let i = try r.int(k, key: "start.mms")
                guard i >= 1, g.mms.indices.contains(i) else {
                    throw r.error(k, "start.mms", "mm \(i) is not a process mm slot (1...\(g.mms.count - 1); init_mm is 0)")
                }
                if v.scalar?.string == "free" { g.mms[i] = nil; continue }
                let key = "start.mms.\(i)"
                let d = try r.mapping(v, key: key, allowed: mmKeys)
                guard let pgdNode = d["pgd"] else { throw r.error(v, key, "missing pgd: (the pgd's pfn)") }
                var s = MMStruct(pgd: try syntax.pfn(pgdNode, key: "\(key).pgd"), tablePages: [:])
                if let t = d["tables"] {
                    guard let tm = t.mapping else { throw r.error(t, "\(key).tables", "expected PFN: pgd|pud|pmd|pte lines") }
                    for (tk, tv) in tm {
                        let q = try syntax.pfn(tk, key: "\(key).tables")
                        let name = try r.string(tv, key: "\(key).tables.\(q)")
                        guard let level = PTLevel.allCases.first(where: { $0.rawValue == "PT_" + name.uppercased() }) else {
                            throw r.error(tv, "\(key).tables.\(q)", "expected pgd, pud, pmd or pte")
                        }
                        s.tablePages[q] = level
                    }
                } else {
                    s.tablePages = [s.pgd: .pgd]
                }
                if let c = d["cpu-vm-mask"] {
                    for item in try r.sequence(c, key: "\(key).cpu-vm-mask") { s.cpuVMMask.insert(try r.int(item, key: "\(key).cpu-vm-mask", range: 0...(syntax.config.vcpus - 1))) }
                }
                if let e = d["exited"] { s.exited = try r.bool(e, key: "\(key).exited") }
                g.mms[i] = s
            }
        }
        if let cpusNode = m["cpus"] {
            guard let cm = cpusNode.mapping else { throw r.error(cpusNode, "start.cpus", "expected CPU: {mm, active-mm, lazy-tlb, xen-cr3, xen-current-cr3} lines") }
            for (k, v) in cm {
                let c = try r.int(k, key: "start.cpus", range: 0...(syntax.config.vcpus - 1))
                let key = "start.cpus.\(c)"
                let d = try r.mapping(v, key: key, allowed: cpuKeys)
                if let x = d["mm"] { g.cpus[c].currentMM = x.scalar?.string == "none" ? nil : try r.int(x, key: "\(key).mm", range: 0...(g.mms.count - 1)) }
                if let x = d["active-mm"] { g.cpus[c].activeMM = try r.int(x, key: "\(key).active-mm", range: 0...(g.mms.count - 1)) }
                if let x = d["lazy-tlb"] { g.cpus[c].tlbLazy = try r.bool(x, key: "\(key).lazy-tlb") }
                if let x = d["xen-cr3"] { g.cpus[c].xenCR3 = try syntax.pfn(x, key: "\(key).xen-cr3") }
                if let x = d["xen-current-cr3"] { g.cpus[c].xenCurrentCR3 = try syntax.pfn(x, key: "\(key).xen-current-cr3") }
            }
        }
        try checkXen(g.xen, n: n, frameLines: frameLines, syntax: syntax)
        // What the guest's own bookkeeping must say before any invariant is asked.
        var owner: [Int: Int] = [:]
        for (i, mm) in g.mms.enumerated() {
            guard let mm else { continue }
            for p in [mm.pgd] + Array(mm.tablePages.keys) {
                if let j = owner[p], j != i { throw r.error(n, "start.mms.\(i)", "page \(p) is already a table of mm \(j)") }
                owner[p] = i
            }
            if mm.tablePages[mm.pgd] != .pgd { throw r.error(n, "start.mms.\(i)", "tables must list the pgd (page \(mm.pgd)) as pgd") }
        }
        for (c, cpu) in g.cpus.enumerated() {
            if let m = cpu.currentMM, !(g.mms.indices.contains(m) && g.mms[m] != nil && m != GuestState.initMM) {
                throw r.error(n, "start.cpus.\(c).mm", "mm \(m) is not a live process mm")
            }
            if !(g.mms.indices.contains(cpu.activeMM) && g.mms[cpu.activeMM] != nil) {
                throw r.error(n, "start.cpus.\(c).active-mm", "mm \(cpu.activeMM) does not exist")
            }
            if let m = cpu.currentMM, m != cpu.activeMM { throw r.error(n, "start.cpus.\(c)", "a CPU running mm \(m) has it as its active mm") }
        }
        for inv in Invariant.guestLevel {
            if let why = g.check(inv) {
                throw r.error(n, "start", "the seed cannot be in this state: \(inv.rawValue): \(why)")
            }
        }
        return g
    }

    /// `entries:` as slot -> value: a list (every slot from 0) or a mapping `SLOT: value`.
    static func entries(_ n: Node, key: String, syntax: ScenarioSyntax) throws(SpecError) -> [(Int, PTE, Int)] {
        let r = syntax.r
        let slots = syntax.config.entriesPerTable
        var out: [(Int, PTE, Int)] = []
        if let list = n.sequence {
            guard list.count <= slots else { throw r.error(n, key, "a table has \(slots) entries; \(list.count) given") }
            for (i, v) in list.enumerated() { out.append((i, try syntax.pte(v, key: "\(key)[\(i)]"), v.mark?.line ?? 0)) }
            return out
        }
        guard let m = n.mapping else { throw r.error(n, key, "expected a list of entries or SLOT: entry lines") }
        for (k, v) in m {
            let slot = try r.int(k, key: key)
            guard (0..<slots).contains(slot) else { throw r.error(k, key, "slot \(slot) is not a slot of a table (0...\(slots - 1))") }
            guard !out.contains(where: { $0.0 == slot }) else { throw r.error(k, key, "slot \(slot) is given twice") }
            out.append((slot, try syntax.pte(v, key: "\(key).\(slot)"), k.mark?.line ?? 0))
        }
        return out
    }

    /// `cr3:` as vCPU -> root: a list by vCPU, or a mapping `v0: f1`.
    static func cr3s(_ n: Node, key: String, syntax: ScenarioSyntax) throws(SpecError) -> [(Int, Int?)] {
        let r = syntax.r
        var out: [(Int, Int?)] = []
        func vcpu(_ v: Int, _ at: Node) throws(SpecError) -> Int {
            guard (0..<syntax.config.vcpus).contains(v) else { throw r.error(at, key, "vCPU \(v) does not exist (0...\(syntax.config.vcpus - 1))") }
            return v
        }
        if let list = n.sequence {
            for (i, v) in list.enumerated() { out.append((try vcpu(i, v), try syntax.optionalFrame(v, key: key))) }
            return out
        }
        guard let m = n.mapping else { throw r.error(n, key, "expected a list of roots by vCPU ([f0, none]) or v0: f0 lines") }
        for (k, v) in m {
            var s = try r.string(k, key: key)
            if s.hasPrefix("v") { s.removeFirst() }
            guard let i = Int(s) else { throw r.error(k, key, "expected a vCPU as v0 or 0") }
            out.append((try vcpu(i, k), try syntax.optionalFrame(v, key: key)))
        }
        return out
    }

    /// `m2p:` as `MFN: PFN` lines (`none` for `INVALID_M2P_ENTRY`).
    static func m2ps(_ n: Node, key: String, syntax: ScenarioSyntax) throws(SpecError) -> [(Int, Int?, Node)] {
        let r = syntax.r
        guard let m = n.mapping else { throw r.error(n, key, "expected MFN: PFN lines") }
        var out: [(Int, Int?, Node)] = []
        for (k, v) in m {
            let mfn = try syntax.frameKey(k, key: key)
            out.append((mfn, v.scalar?.string == "none" ? nil : try r.int(v, key: "\(key).\(mfn)"), v))
        }
        return out
    }

    // MARK: - Steps

    static func step(_ n: Node, index i: Int, level: CheckSpec.Level, syntax: ScenarioSyntax) throws(SpecError) -> ScenarioStep {
        let r = syntax.r
        let key = "steps[\(i)]"
        guard let m = n.mapping else { throw r.error(n, key, "expected a mapping: OPERATION: arguments, then expect: and assert:") }
        let operationKeys: [String] = level == .hypervisor ? XenOperation.names + ["batch", "multicall"] : GuestOp.allNames + ["multicalls"]
        var fields: [String: Node] = [:]
        var op: (name: String, node: Node, keyNode: Node)?
        for (k, v) in m {
            guard let name = k.scalar?.string else { throw r.error(k, key, "keys must be plain names") }
            if operationKeys.contains(name) {
                if let op { throw r.error(k, "\(key).\(name)", "a step runs one operation; this one already runs \(op.name)") }
                op = (name, v, k)
            } else if stepKeys.contains(name) {
                guard fields[name] == nil else { throw r.error(k, "\(key).\(name)", "key given more than once") }
                fields[name] = v
            } else {
                let other = level == .hypervisor ? GuestOp.allNames + ["multicalls"] : XenOperation.names + ["batch", "multicall"]
                let why = other.contains(name) ? "'\(name)' is an operation of the \(level == .hypervisor ? "guest" : "hypervisor") model, not this one"
                    : "unknown key; a step is one of \(operationKeys.joined(separator: ", ")) with \(stepKeys.joined(separator: ", "))"
                throw r.error(k, "\(key).\(name)", why)
            }
        }
        guard let op else { throw r.error(n, key, "names no operation; one of: " + operationKeys.joined(separator: ", ")) }
        let line = op.keyNode.mark?.line ?? 0
        let vcpu = try fields["vcpu"].map { v throws(SpecError) in try r.int(v, key: "\(key).vcpu") } ?? 0
        if level == .guest, let v = fields["vcpu"] { throw r.error(v, "\(key).vcpu", "guest operations name their cpu: in their arguments") }
        let action: ScenarioStep.Action
        switch (level, op.name) {
        case (.hypervisor, "multicall"):
            let entries = try r.sequence(op.node, key: "\(key).multicall")
            if entries.isEmpty { throw r.error(op.node, "\(key).multicall", "a multicall needs at least one entry") }
            var calls: [XenAction] = []
            for (j, e) in entries.enumerated() {
                let ek = "\(key).multicall[\(j)]"
                guard let em = e.mapping, em.count == 1, let (k, v) = em.first, let name = k.scalar?.string else {
                    throw r.error(e, ek, "each entry is one hypercall: OPERATION: arguments, or batch: [...]")
                }
                guard name != "multicall" else { throw r.error(k, ek, "a multicall entry cannot be a multicall") }
                guard name != XenOperation.guestStore.name else { throw r.error(k, ek, "a plain store is no hypercall") }
                guard operationKeys.contains(name) else { throw r.error(k, ek, "unknown hypercall '\(name)'; one of: " + operationKeys.joined(separator: ", ")) }
                calls.append(try xenAction(name, v, at: k, vcpu: vcpu, key: "\(ek).\(name)", syntax: syntax))
            }
            action = .multicall(vcpu: vcpu, calls)
        case (.hypervisor, _):
            action = .xen(try xenAction(op.name, op.node, at: op.keyNode, vcpu: vcpu, key: "\(key).\(op.name)", syntax: syntax))
        case (.guest, "multicalls"):
            let args = try r.mapping(op.node, key: "\(key).multicalls", allowed: ["cpu"])
            guard let c = args["cpu"] else { throw r.error(op.node, "\(key).multicalls", "missing cpu:") }
            action = .multicalls(cpu: try r.int(c, key: "\(key).multicalls.cpu"))
        case (.guest, _):
            action = .guest(try guestOp(op.name, op.node, key: "\(key).\(op.name)", syntax: syntax))
        }
        var step = ScenarioStep(line: line, action: action, expect: [])
        step.expect = try expectations(fields["expect"], done: fields["done"], action: action, line: line, key: key, r: r)
        if let b = fields["breaks"] {
            step.breaksLine = b.mark?.line ?? line
            let allowed = level == .hypervisor ? Invariant.hypervisorLevel : Invariant.guestLevel
            step.breaks = try r.names(b, key: "\(key).breaks", empty: "must name at least one invariant (omit the key when all hold)") { n in
                guard let inv = Invariant(rawValue: n), allowed.contains(inv) else {
                    return "unknown \(level.rawValue) invariant '\(n)'; known: " + allowed.map(\.rawValue).joined(separator: ", ")
                }
                return nil
            }.compactMap(Invariant.init(rawValue:))
        }
        if let a = fields["assert"] { step.asserts = try assertions(a, key: "\(key).assert", level: level, syntax: syntax) }
        if let note = fields["note"] { step.note = try r.string(note, key: "\(key).note") }
        return step
    }

    /// The argument keys of a hypervisor operation (`XenOperation.arguments`, as files spell them).
    static func argumentKey(_ a: XenArgument) -> String {
        switch a {
        case .frame: "mfn"
        case .slot: "slot"
        case .value: "val"
        case .pfn: "pfn"
        case .level: "level"
        case .va: "va"
        case .flush: "flush"
        }
    }

    /// One hypervisor request from `OPERATION: {arguments}`.
    static func request(_ name: String, _ n: Node, at: Node, key: String, syntax: ScenarioSyntax) throws(SpecError) -> XenRequest {
        let r = syntax.r
        guard let op = XenOperation(name: name) else { throw r.error(at, key, "unknown operation '\(name)'") }
        var allowed = op.arguments.map(argumentKey)
        let isUpdate = op == .mmuUpdate || op == .mmuUpdatePreserveAD
        if isUpdate { allowed.append("ptr") }
        var args: [String: Node] = [:]
        if op.arguments.isEmpty {
            // tlb-flush: (or tlb-flush: {}) takes no arguments.
            guard n.scalar?.string.isEmpty == true || n.mapping?.isEmpty == true else {
                throw r.error(n, key, "\(name) takes no arguments (write \(name): alone)")
            }
        } else {
            args = try r.mapping(n, key: key, allowed: allowed)
        }
        var q = XenRequest(op)
        if isUpdate, let p = args["ptr"] {
            if args["mfn"] != nil || args["slot"] != nil { throw r.error(p, "\(key).ptr", "give ptr: or mfn: and slot:, not both") }
            let e = try syntax.ptr(p, key: "\(key).ptr")
            q.frame = e.mfn; q.slot = e.slot
        } else if isUpdate, args["mfn"] == nil {
            throw r.error(n, key, "missing ptr: (the entry to write, as f0[3])")
        }
        for a in op.arguments {
            let k = argumentKey(a)
            guard let v = args[k] else {
                if a == .flush || (isUpdate && (a == .frame || a == .slot) && args["ptr"] != nil) { continue }
                throw r.error(n, key, "missing \(k): \(name) takes " + op.arguments.map(argumentKey).joined(separator: ", "))
            }
            switch a {
            case .frame: q.frame = try syntax.mfn(v, key: "\(key).\(k)")
            case .slot: q.slot = try r.int(v, key: "\(key).\(k)")
            case .value: q.value = try syntax.pte(v, key: "\(key).\(k)")
            case .pfn: q.pfn = try r.int(v, key: "\(key).\(k)")
            case .level: q.level = try syntax.level(v, key: "\(key).\(k)")
            case .va: q.va = try syntax.va(v, key: "\(key).\(k)")
            case .flush: q.flush = try syntax.flush(v, key: "\(key).\(k)")
            }
        }
        return q
    }

    /// A hypervisor step: one request (`OPERATION: args`) or `batch: [OPERATION: args, ...]`,
    /// whose requests must belong to one hypercall (`mmu_update` or `mmuext_op`).
    static func xenAction(_ name: String, _ n: Node, at: Node, vcpu: Int, key: String, syntax: ScenarioSyntax) throws(SpecError) -> XenAction {
        let r = syntax.r
        var requests: [XenRequest] = []
        if name == "batch" {
            for (j, item) in try r.sequence(n, key: key).enumerated() {
                guard let im = item.mapping, im.count == 1, let (k, v) = im.first, let op = k.scalar?.string, XenOperation(name: op) != nil else {
                    throw r.error(item, "\(key)[\(j)]", "each request is OPERATION: arguments, e.g. mmu-update: {ptr: f0[1], val: none}")
                }
                requests.append(try request(op, v, at: k, key: "\(key)[\(j)].\(op)", syntax: syntax))
            }
            if requests.isEmpty { throw r.error(n, key, "a batch needs at least one request") }
        } else {
            requests = [try request(name, n, at: at, key: key, syntax: syntax)]
        }
        guard let action = XenAction(vcpu: vcpu, requests: requests) else {
            throw r.error(n, key, "these requests are not one hypercall: a batch is mmu_update requests (mmu-update, mmu-update-preserve-ad, "
                          + "mmu-update-machphys) or mmuext_op requests (pin, unpin, new-baseptr, tlb-flush); update-va-mapping and guest-store stand alone")
        }
        return action
    }

    /// A guest operation from `OPERATION: {cpu, mm, va, pte | val, pfn, mfn, flags, stay-lazy}`.
    static func guestOp(_ name: String, _ n: Node, key: String, syntax: ScenarioSyntax) throws(SpecError) -> GuestOp {
        let r = syntax.r
        let keys: [String]
        switch name {
        case "set-pte-at", "ptep-modify-prot-commit": keys = ["cpu", "mm", "va", "pte"]
        case "set-pmd", "set-pud": keys = ["cpu", "mm", "va", "val"]
        case "pte-alloc": keys = ["cpu", "mm", "va"]
        case "pgd-pin", "pgd-unpin", "activate-mm", "dup-mmap", "exit-mmap", "mm-alloc", "mm-free", "exit-mmap-unpin": keys = ["cpu", "mm"]
        case "switch-mm": keys = ["cpu", "mm", "stay-lazy"]
        case "set-phys-to-machine": keys = ["pfn", "mfn"]
        case "make-lowmem-page-readonly", "make-lowmem-page-readwrite", "decrease-reservation", "increase-reservation": keys = ["cpu", "pfn"]
        case "set-pte-mfn": keys = ["cpu", "va", "mfn", "flags"]
        default: keys = ["cpu"]
        }
        let args: [String: Node] = n.scalar?.string.isEmpty == true ? [:] : try r.mapping(n, key: key, allowed: keys)
        func need(_ k: String) throws(SpecError) -> Node {
            guard let v = args[k] else {
                throw r.error(n, key, "missing \(k): \(name) takes " + keys.joined(separator: ", "))
            }
            return v
        }
        func int(_ k: String) throws(SpecError) -> Int { try r.int(try need(k), key: "\(key).\(k)") }
        func va() throws(SpecError) -> Int { try syntax.va(try need("va"), key: "\(key).va") }
        func pte(_ k: String) throws(SpecError) -> PTE { try syntax.pte(try need(k), key: "\(key).\(k)", pfn: true) }
        // cpu: 0 unless given (set-phys-to-machine runs on no particular CPU and takes none).
        let c = keys.contains("cpu") ? try args["cpu"].map { v throws(SpecError) in try r.int(v, key: "\(key).cpu") } ?? 0 : 0
        switch name {
        case "set-pte-at": return .setPteAt(cpu: c, mm: try int("mm"), va: try va(), pte: try pte("pte"))
        case "ptep-modify-prot-commit": return .ptepModifyProtCommit(cpu: c, mm: try int("mm"), va: try va(), pte: try pte("pte"))
        case "set-pmd": return .setPmd(cpu: c, mm: try int("mm"), va: try va(), val: try pte("val"))
        case "set-pud": return .setPud(cpu: c, mm: try int("mm"), va: try va(), val: try pte("val"))
        case "pte-alloc": return .pteAlloc(cpu: c, mm: try int("mm"), va: try va())
        case "pgd-pin": return .pgdPin(cpu: c, mm: try int("mm"))
        case "pgd-unpin": return .pgdUnpin(cpu: c, mm: try int("mm"))
        case "activate-mm": return .activateMM(cpu: c, mm: try int("mm"))
        case "dup-mmap": return .dupMmap(cpu: c, mm: try int("mm"))
        case "exit-mmap": return .exitMmap(cpu: c, mm: try int("mm"))
        case "mm-alloc": return .mmAlloc(cpu: c, mm: try int("mm"))
        case "mm-free": return .mmFree(cpu: c, mm: try int("mm"))
        case "exit-mmap-unpin": return .exitMmapUnpin(cpu: c, mm: try int("mm"))
        case "switch-mm":
            let mmNode = try need("mm")
            let mm: Int? = mmNode.scalar?.string == "none" ? nil : try r.int(mmNode, key: "\(key).mm")
            let lazy = try args["stay-lazy"].map { v throws(SpecError) in try r.bool(v, key: "\(key).stay-lazy") } ?? false
            return .switchMM(cpu: c, mm: mm, stayLazy: lazy)
        case "set-phys-to-machine":
            let m = try need("mfn")
            let mfn = m.scalar?.string == "INVALID" ? P2M.invalidEntry : try syntax.mfn(m, key: "\(key).mfn")
            return .setPhysToMachine(pfn: try int("pfn"), mfn: mfn)
        case "make-lowmem-page-readonly": return .makeLowmemPageReadonly(cpu: c, pfn: try int("pfn"))
        case "make-lowmem-page-readwrite": return .makeLowmemPageReadwrite(cpu: c, pfn: try int("pfn"))
        case "decrease-reservation": return .decreaseReservation(cpu: c, pfn: try int("pfn"))
        case "increase-reservation": return .increaseReservation(cpu: c, pfn: try int("pfn"))
        case "set-pte-mfn":
            var flags: PTEFlags = []
            let f = try need("flags")
            for item in f.sequence.map(Array.init) ?? [f] {
                for part in try r.string(item, key: "\(key).flags").split(separator: "|") {
                    flags.formUnion(try r.flag(String(part), item, key: "\(key).flags"))
                }
            }
            return .setPteMFN(cpu: c, va: try va(), mfn: try syntax.mfn(try need("mfn"), key: "\(key).mfn"), flags: flags)
        case "mm-pin-all": return .mmPinAll(cpu: c)
        case "mm-unpin-all": return .mmUnpinAll(cpu: c)
        case "enter-lazy-mmu": return .enterLazyMMU(cpu: c)
        case "leave-lazy-mmu": return .leaveLazyMMU(cpu: c)
        case "leave-lazy-cpu": return .leaveLazyCPU(cpu: c)
        case "multicall-entry": return .multicallEntry(cpu: c)
        case "drop-other-mm-ref": return .dropOtherMMRef(cpu: c)
        default: throw r.error(n, key, "unknown guest operation '\(name)'")
        }
    }

    /// `expect:` (default ok) and `done:`; a multicall takes a list, one per entry.
    static func expectations(_ n: Node?, done: Node?, action: ScenarioStep.Action, line: Int, key: String,
                             r: SpecLoader.Reader) throws(SpecError) -> [Expectation] {
        func one(_ node: Node?, store: Bool, guest: Bool) throws(SpecError) -> Expectation {
            guard let node else { return Expectation(.ok, line: line) }
            let s = try r.string(node, key: "\(key).expect")
            let at = node.mark?.line ?? line
            let kind: Expectation.Kind
            if guest {
                switch s {
                case "ok": kind = .ok
                case "BUG": kind = .bug
                case "not-applicable": kind = .notApplicable
                default: throw r.error(node, "\(key).expect", "a guest operation answers ok, BUG or not-applicable; got '\(s)'")
                }
            } else if s == "ok" {
                kind = .ok
            } else if let e = XenError.allCases.first(where: { $0.description == s }) {
                kind = .error(e)
            } else if store, let k = ["fault": Expectation.Kind.fault, "emulated": .emulated, "written": .written][s] {
                kind = k
            } else {
                throw r.error(node, "\(key).expect", "expected ok or one of " + XenError.allCases.map(\.description).joined(separator: ", ")
                              + (store ? ", fault, emulated, written" : "") + "; got '\(s)'")
            }
            return Expectation(kind, line: at)
        }
        switch action {
        case .guest, .multicalls:
            if let done { throw r.error(done, "\(key).done", "done: counts a batch's requests; this is a guest operation") }
            return [try one(n, store: false, guest: true)]
        case .xen(let a):
            var e = try one(n, store: a.operation == .guestStore, guest: false)
            if let done {
                guard a.requests.count > 1 || a.operation != .guestStore else { throw r.error(done, "\(key).done", "a plain store has no requests to count") }
                e.done = try r.int(done, key: "\(key).done", range: 0...a.requests.count)
                e.doneLine = done.mark?.line ?? line
            }
            return [e]
        case .multicall(_, let entries):
            if let done { throw r.error(done, "\(key).done", "a multicall's entries each answer; give expect: as a list") }
            guard let n else { return entries.map { _ in Expectation(.ok, line: line) } }
            guard let list = n.sequence else {
                throw r.error(n, "\(key).expect", "a multicall expects one answer per entry: a list of \(entries.count)")
            }
            guard list.count == entries.count else {
                throw r.error(n, "\(key).expect", "the multicall has \(entries.count) entries; \(list.count) answers given")
            }
            var out: [Expectation] = []
            for item in list { out.append(try one(item, store: false, guest: false)) }
            return out
        }
    }

    /// `assert:` as facts.
    static func assertions(_ n: Node, key: String, level: CheckSpec.Level, syntax: ScenarioSyntax) throws(SpecError) -> [Assertion] {
        let r = syntax.r
        let m = try r.mapping(n, key: key, allowed: stateKeys + (level == .guest ? guestStateKeys : []))
        var out: [Assertion] = []
        func add(_ f: Assertion.Fact, _ at: Node, _ k: String) { out.append(Assertion(fact: f, line: at.mark?.line ?? 0, key: k)) }
        if let frames = m["frames"] { out += try frameFacts(frames, key: "\(key).frames", syntax: syntax).facts }
        if let c = m["cr3"] { for (v, root) in try cr3s(c, key: "\(key).cr3", syntax: syntax) { add(.cr3(vcpu: v, root), c, "\(key).cr3") } }
        if let p = m["m2p"] { for (mfn, pfn, node) in try m2ps(p, key: "\(key).m2p", syntax: syntax) { add(.m2p(mfn: mfn, pfn), node, "\(key).m2p.\(mfn)") } }
        out += try guestFacts(m, key: key, syntax: syntax)
        if let b = m["bug"] { add(.bug(try r.bool(b, key: "\(key).bug")), b, "\(key).bug") }
        return out
    }

    /// The facts a `frames:` mapping states (`FRAME: {type, validated, pinned, owner,
    /// type-count, general-count, entries}`), each at its own line, and the line of each
    /// frame's key: read once, checked by `assert:` and applied by `start:`.
    static func frameFacts(_ frames: Node, key: String, syntax: ScenarioSyntax) throws(SpecError) -> (facts: [Assertion], lines: [Int: Int]) {
        let r = syntax.r
        guard let fm = frames.mapping else { throw r.error(frames, key, "expected FRAME: {type, validated, pinned, entries} lines") }
        var facts: [Assertion] = []
        var lines: [Int: Int] = [:]
        for (k, v) in fm {
            let f = try syntax.frameKey(k, key: key)
            guard lines[f] == nil else { throw r.error(k, key, "frame \(f) is given twice") }
            lines[f] = k.mark?.line ?? 0
            let fk = "\(key).\(f)"
            let d = try r.mapping(v, key: fk, allowed: frameKeys)
            func add(_ fact: Assertion.Fact, _ at: Node, _ k: String) { facts.append(Assertion(fact: fact, line: at.mark?.line ?? 0, key: "\(fk).\(k)")) }
            if let t = d["type"] { add(.type(mfn: f, try syntax.pageType(t, key: "\(fk).type")), t, "type") }
            if let b = d["validated"] { add(.validated(mfn: f, try r.bool(b, key: "\(fk).validated")), b, "validated") }
            if let b = d["pinned"] { add(.pinned(mfn: f, try r.bool(b, key: "\(fk).pinned")), b, "pinned") }
            if let o = d["owner"] { add(.owner(mfn: f, try syntax.owner(o, key: "\(fk).owner")), o, "owner") }
            if let c = d["type-count"] { add(.typeCount(mfn: f, try r.int(c, key: "\(fk).type-count")), c, "type-count") }
            if let c = d["general-count"] { add(.generalCount(mfn: f, try r.int(c, key: "\(fk).general-count")), c, "general-count") }
            if let e = d["entries"] {
                for (slot, value, line) in try entries(e, key: "\(fk).entries", syntax: syntax) {
                    facts.append(Assertion(fact: .entry(mfn: f, slot: slot, value), line: line, key: "\(fk).entries.\(slot)"))
                }
            }
        }
        return (facts, lines)
    }

    /// The `p2m:` and `page-pinned:` facts of a guest-level `start:` or `assert:` mapping.
    static func guestFacts(_ m: [String: Node], key: String, syntax: ScenarioSyntax) throws(SpecError) -> [Assertion] {
        let r = syntax.r
        var out: [Assertion] = []
        if let p = m["p2m"] {
            guard let pm = p.mapping else { throw r.error(p, "\(key).p2m", "expected PFN: MFN lines (INVALID for none)") }
            for (k, v) in pm {
                let pfn = try syntax.pfn(k, key: "\(key).p2m")
                let mfn = v.scalar?.string == "INVALID" ? P2M.invalidEntry : try syntax.mfn(v, key: "\(key).p2m.\(pfn)")
                out.append(Assertion(fact: .p2m(pfn: pfn, mfn), line: v.mark?.line ?? 0, key: "\(key).p2m.\(pfn)"))
            }
        }
        if let p = m["page-pinned"] {
            guard let pm = p.mapping else { throw r.error(p, "\(key).page-pinned", "expected PFN: true|false lines") }
            for (k, v) in pm {
                let pfn = try syntax.pfn(k, key: "\(key).page-pinned")
                out.append(Assertion(fact: .pagePinned(pfn: pfn, try r.bool(v, key: "\(key).page-pinned.\(pfn)")), line: v.mark?.line ?? 0,
                                     key: "\(key).page-pinned.\(pfn)"))
            }
        }
        return out
    }
}

import MMUSpec
import Yams

/// How scenario files write the model's small values: frames, entry pointers, entry values,
/// addresses, levels and flush flags (docs/scenarios.md, "Values"). Every problem is a
/// `SpecError` at the node's line.
struct ScenarioSyntax {
    let r: SpecLoader.Reader
    let config: MMUConfig

    /// A frame number: `3` or `f3` (any integer: Xen must refuse one out of range).
    func mfn(_ n: Node, key: String) throws(SpecError) -> Int {
        guard let s = n.scalar?.string else { throw r.error(n, key, "expected a machine frame (3 or f3)") }
        if s.hasPrefix("f"), let v = Int(s.dropFirst()) { return v }
        return try r.int(n, key: key)
    }

    /// `f0[3]` or `f0.3`: entry 3 of frame 0 (`mfn << PAGE_SHIFT | slot * sizeof(pte)`).
    /// (Inside `{ }` YAML reads `[` as a list: write `f0.3` there, or quote `"f0[3]"`.)
    func ptr(_ n: Node, key: String) throws(SpecError) -> EntryRef {
        let form = "expected an entry as f0[3] or f0.3"
        guard let text = n.scalar?.string else { throw r.error(n, key, form) }
        var s = Substring(text)
        if s.hasPrefix("f") { s = s.dropFirst() }
        let parts: [Substring]
        if s.hasSuffix("]"), let open = s.firstIndex(of: "[") {
            parts = [s[..<open], s[s.index(after: open)..<s.index(before: s.endIndex)]]
        } else {
            parts = s.split(separator: ".", omittingEmptySubsequences: false)
        }
        guard parts.count == 2, let m = Int(parts[0]), let slot = Int(parts[1]) else {
            throw r.error(n, key, "\(form), got '\(n.scalar?.string ?? "")'")
        }
        return EntryRef(mfn: m, slot: slot)
    }

    /// An entry value. `none` (or 0) is the all-zero entry; `{present, rw, -> f3}` names the
    /// flags and the frame (`-> fN` a machine frame, `-> pN` a pfn; a bare number is the
    /// frame word this context uses); `3:present|rw` is the form the tool prints.
    /// `pfn`: the value is in the guest's pfn format (a guest operation's argument).
    func pte(_ n: Node, key: String, pfn: Bool = false) throws(SpecError) -> PTE {
        let want = pfn ? "p" : "f"
        func target(_ text: Substring, _ at: Node) throws(SpecError) -> Int {
            var t = text.trimmingCharacters(in: .whitespaces)[...]
            if let c = t.first, c == "f" || c == "p" {
                let word = c == "p" ? "p" : "f"
                guard word == want else {
                    throw r.error(at, key, pfn ? "a guest operation takes entries in pfn format: write -> pN"
                                              : "Xen's entries name machine frames: write -> fN")
                }
                t = t.dropFirst()
            }
            guard let v = Int(t) else { throw r.error(at, key, "expected -> \(want)N, got '-> \(text)'") }
            return v
        }
        func flag(_ name: String, _ at: Node) throws(SpecError) -> PTEFlags { try r.flag(name, at, key: key) }
        if let m = n.mapping {
            var flags: PTEFlags = []
            var frame: Int?
            for (k, v) in m {
                guard let word = k.scalar?.string, v.scalar?.string.isEmpty == true else {
                    throw r.error(k, key, "write an entry as {present, rw, -> \(want)3}: flag names and one -> \(want)N, no values")
                }
                if word.hasPrefix("->") {
                    guard frame == nil else { throw r.error(k, key, "the entry names two frames") }
                    frame = try target(word.dropFirst(2), k)
                } else {
                    flags.formUnion(try flag(word, k))
                }
            }
            if flags.contains(.present) && frame == nil {
                throw r.error(n, key, "a present entry names its frame: {\(flags.description.replacingOccurrences(of: "|", with: ", ")), -> \(want)N}")
            }
            return PTE(frame: frame ?? 0, flags: flags)
        }
        guard let s = n.scalar?.string else {
            throw r.error(n, key, "expected an entry: none, {present, rw, -> \(want)3} or 3:present|rw")
        }
        if s == "none" || s == "0" { return .none }
        guard let colon = s.firstIndex(of: ":") else {
            throw r.error(n, key, "expected an entry: none, {present, rw, -> \(want)3} or 3:present|rw, got '\(s)'")
        }
        let frame = try target(s[..<colon], n)
        var flags: PTEFlags = []
        let rest = s[s.index(after: colon)...]
        if rest != "-" {
            // Every flag named, none empty: "3:" or "3:present||rw" is a typo, not an entry.
            let names = rest.split(separator: "|", omittingEmptySubsequences: false)
            for name in names {
                guard !name.isEmpty else { throw r.error(n, key, "'\(s)': write the flags as present|rw, or - for none") }
                flags.formUnion(try flag(String(name), n))
            }
        }
        return PTE(frame: frame, flags: flags)
    }

    /// A virtual address: an integer, hex (`0x3000`), or an index path `<0.0.3>`, one slot per
    /// level, root first (any slot: Xen must refuse an address outside the space).
    func va(_ n: Node, key: String) throws(SpecError) -> Int {
        guard let s = n.scalar?.string else { throw r.error(n, key, "expected an address: 0x3000 or <0.0.3>") }
        if s.hasPrefix("<") && s.hasSuffix(">") {
            let parts = s.dropFirst().dropLast().split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == config.levels else {
                throw r.error(n, key, "an index path has one slot per level (\(config.levels) here), root first; got '\(s)'")
            }
            var page = 0
            for p in parts {
                guard let x = Int(p), x >= 0, x < 1 << 16 else { throw r.error(n, key, "'\(p)' in \(s) is not a slot number") }
                page = page * config.entriesPerTable + x
            }
            return page * MMUConfig.pageSize
        }
        // A 64-bit address as the guest passes it (XSA-279's 1 << 63): the bits, as Int.
        if s.hasPrefix("0x") {
            if let v = Int(s.dropFirst(2), radix: 16) { return v }
            if let bits = UInt64(s.dropFirst(2), radix: 16) { return Int(bitPattern: UInt(bits)) }
        }
        if let v = Int(s.replacingOccurrences(of: "_", with: "")) { return v }
        throw r.error(n, key, "expected an address: 0x3000, 12288 or <0.0.3>; got '\(s)'")
    }

    /// A pfn of the guest: `5` or `p5`, within `0..<pfns`.
    func pfn(_ n: Node, key: String) throws(SpecError) -> Int {
        let v: Int
        if let s = n.scalar?.string, s.hasPrefix("p"), let p = Int(s.dropFirst()) { v = p } else { v = try r.int(n, key: key) }
        guard (0..<config.pfns).contains(v) else { throw r.error(n, key, "pfn \(v) is not a pfn of the guest (0...\(config.pfns - 1))") }
        return v
    }

    /// A page-table level: `2` or `L2` (any integer: Xen must refuse one out of range).
    func level(_ n: Node, key: String) throws(SpecError) -> Int {
        if let s = n.scalar?.string, s.hasPrefix("L"), let v = Int(s.dropFirst()) { return v }
        return try r.int(n, key: key)
    }

    /// `UVMF_*` flags: one name, or a list (`[UVMF_INVLPG, UVMF_ALL]`).
    func flush(_ n: Node, key: String) throws(SpecError) -> UVMFFlush {
        let names: [Node] = n.sequence.map(Array.init) ?? [n]
        var bits = 0
        let known = ["UVMF_NONE": 0, "UVMF_TLB_FLUSH": 1, "UVMF_INVLPG": 2, "UVMF_LOCAL": 0, "UVMF_ALL": 4]
        for item in names {
            let name = try r.string(item, key: key)
            for part in name.split(separator: "|") {
                guard let b = known[String(part)] else {
                    throw r.error(item, key, "unknown flag '\(part)'; known: UVMF_NONE, UVMF_TLB_FLUSH, UVMF_INVLPG, UVMF_LOCAL, UVMF_ALL")
                }
                bits |= b
            }
        }
        guard let f = UVMFFlush(rawValue: bits) else {
            throw r.error(n, key, "UVMF_TLB_FLUSH and UVMF_INVLPG are two flush types: give one")
        }
        return f
    }

    /// A page type: none, L1 .. L4, writable.
    func pageType(_ n: Node, key: String) throws(SpecError) -> PageType {
        let s = try r.string(n, key: key)
        let all: [PageType] = [.none, .l1, .l2, .l3, .l4, .writable]
        guard let t = all.first(where: { $0.description == s }) else {
            throw r.error(n, key, "unknown type '\(s)'; one of: " + all.map(\.description).joined(separator: ", "))
        }
        return t
    }

    /// A frame key of `frames:`: `3` or `f3`, within the machine.
    func frameKey(_ n: Node, key: String) throws(SpecError) -> Int {
        let m = try mfn(n, key: key)
        guard (0..<config.machineFrames).contains(m) else {
            throw r.error(n, key, "frame \(m) is not a machine frame (0...\(config.machineFrames - 1))")
        }
        return m
    }

    /// A frame's owner: `guest` or `xen`.
    func owner(_ n: Node, key: String) throws(SpecError) -> Owner {
        let s = try r.string(n, key: key)
        guard let o = ["guest": Owner.guest, "xen": .xen][s] else { throw r.error(n, key, "expected guest or xen") }
        return o
    }

    /// A frame or none (a cr3, an m2p entry).
    func optionalFrame(_ n: Node, key: String) throws(SpecError) -> Int? {
        if n.scalar?.string == "none" { return nil }
        return try mfn(n, key: key)
    }
}

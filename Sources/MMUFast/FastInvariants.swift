import MMUSpec

/// The hypervisor-level invariants on the packed state, with the spec's definitions
/// (`XenState.check`) and, for `counts-match`, one more conjunct only an engine with
/// stored counts can break: the stored counts equal the references that exist.
extension FastXen {
    /// nil when `invariant` holds in `s`, else a sentence naming what broke.
    public func check(_ invariant: Invariant, _ s: FastXenState) -> String? {
        switch invariant {
        case .noWritablePagetable: return checkNoWritablePagetable(s)
        case .noPagetableFromWritable: return checkNoPagetableFromWritable(s)
        case .validatedEntries: return checkValidatedEntries(s)
        case .countsMatch: return checkCountsMatch(s)
        case .p2mRoundtrip, .walkLimit, .noFailedHypercall, .pinnedTablesReadOnly, .noStaleCR3: return nil
        }
    }

    /// Roots every invariant walks from: cr3s, and root-level frames pinned or validated.
    func roots(_ s: FastXenState) -> [Int] {
        var mask: UInt64 = 0
        for v in 0..<V { let r = cr3(s, v); if r >= 0 { mask |= 1 << UInt64(r) } }
        for f in 0..<F where type(s, f) == rootType && (pinned(s, f) || validated(s, f)) { mask |= 1 << UInt64(f) }
        return (0..<F).filter { mask & (1 << UInt64($0)) != 0 }
    }

    /// Calls `body(root, page, tables, mapped, writable)` for every walk from every root.
    func forEachWalk(_ s: FastXenState, _ body: (Int, Int, [Int], Int?, Bool) -> String?) -> String? {
        for r in roots(s) {
            for p in 0..<pages {
                var tables: [Int] = []
                var table = r, level = L, rw = true
                var mapped: Int? = nil, writable = false
                while true {
                    tables.append(table)
                    let v = entry(s, table, index(page: p, level: level))
                    let t = vFrame[v]
                    if level == 1 {
                        if t != 0xFF { mapped = Int(t); writable = rw && vRW[v] }
                        break
                    }
                    guard t != 0xFF else { break }
                    rw = rw && vRW[v]
                    table = Int(t)
                    level -= 1
                }
                if let why = body(r, p, tables, mapped, writable) { return why }
            }
        }
        return nil
    }

    func checkNoWritablePagetable(_ s: FastXenState) -> String? {
        forEachWalk(s) { r, p, tables, mapped, writable in
            guard writable, let m = mapped else { return nil }
            let t = type(s, m)
            guard (1...4).contains(t) && typeCount(s, m) > 0 || pinned(s, m) else { return nil }
            return "frame \(m) (L\(t), type count \(typeCount(s, m))\(pinned(s, m) ? ", pinned" : "")) is writable at page \(p) from root \(r) via tables \(tables)"
        }
    }

    func checkNoPagetableFromWritable(_ s: FastXenState) -> String? {
        forEachWalk(s) { r, p, tables, _, _ in
            for (depth, t) in tables.enumerated() where type(s, t) == FastXen.typeWritable && typeCount(s, t) > 0 {
                return "frame \(t) is typed writable (type count \(typeCount(s, t))) but is used as the L\(L - depth) table of page \(p) from root \(r)"
            }
            return nil
        }
    }

    /// Why entry `slot` of the live level-`level` table `f` breaks its level's rule, or nil.
    func entryRuleViolation(_ s: FastXenState, table f: Int, slot: Int, level: Int) -> String? {
        let v = entry(s, f, slot)
        guard vPresent[v] else { return nil }
        let here = "entry \(f)[\(slot)] = \(values[v]) of the L\(level) table \(f)"
        if vDisallowed[v] { return "\(here) has disallowed flags" }
        let tt = vFrame[v]
        guard tt != 0xFF else { return "\(here) names no machine frame" }
        let t = Int(tt)
        if xenOwned(s, t) { return "\(here) maps a frame the guest does not own" }
        if level <= 1 {
            if !vRW[v] || type(s, t) == FastXen.typeWritable && validated(s, t) { return nil }
            return "\(here) is writable but frame \(t) is not a validated writable frame"
        }
        if t == f {
            if !config.recursiveEntries { return "\(here) is a self-reference but recursive entries are off" }
            return vRW[v] ? "\(here) is a writable self-reference" : nil
        }
        if type(s, t) == FastXen.tableType(level - 1) && validated(s, t) { return nil }
        if type(s, t) == FastXen.tableType(level) && validated(s, t) {
            if !config.recursiveEntries { return "\(here) is a linear entry but recursive entries are off" }
            return vRW[v] ? "\(here) is a writable linear entry" : nil
        }
        return "\(here) needs an L\(level - 1) table but frame \(t) is not one in force"
    }

    func checkValidatedEntries(_ s: FastXenState) -> String? {
        for f in 0..<F where isLivePageTable(s, f) {
            for slot in 0..<E {
                if let why = entryRuleViolation(s, table: f, slot: slot, level: Int(type(s, f))) { return why }
            }
        }
        return nil
    }

    /// Calls `body(target, demand, holder)` for every reference that exists.
    func forEachReference(_ s: FastXenState, _ body: (Int, UInt8, String) -> Void) {
        for f in 0..<F where isLivePageTable(s, f) {
            for slot in 0..<E {
                if let r = referenceOf(s, value: entry(s, f, slot), table: f, level: Int(type(s, f))) {
                    body(r.target, r.demand, "entry \(f)[\(slot)]")
                }
            }
        }
        for f in 0..<F where pinned(s, f) { body(f, type(s, f), "the pin of frame \(f)") }
        for v in 0..<V { let r = cr3(s, v); if r >= 0 { body(r, rootType, "the cr3 of vCPU \(v)") } }
    }

    /// Type and general counts recomputed from the references (what the stored ones must equal).
    public func derivedCounts(_ s: FastXenState) -> (type: [Int], general: [Int]) {
        var tc = [Int](repeating: 0, count: F), gc = [Int](repeating: 0, count: F)
        forEachReference(s) { t, d, _ in
            gc[t] += 1
            if d == type(s, t) { tc[t] += 1 }
        }
        return (tc, gc)
    }

    /// The stored counts.
    public func storedCounts(_ s: FastXenState) -> (type: [Int], general: [Int]) {
        ((0..<F).map { typeCount(s, $0) }, (0..<F).map { generalCount(s, $0) })
    }

    func checkCountsMatch(_ s: FastXenState) -> String? {
        for f in 0..<F {
            if pinned(s, f) && !isLivePageTable(s, f) { return "frame \(f) is pinned but is not a validated page table" }
            if validated(s, f) && type(s, f) == FastXen.typeNone { return "frame \(f) is validated with type none" }
        }
        var why: String? = nil
        forEachReference(s) { t, d, holder in
            guard why == nil, d != FastXen.noDemand else { return }
            if type(s, t) != d || !validated(s, t) {
                why = "\(holder) demands type code \(d) of frame \(t), which has type code \(type(s, t))\(validated(s, t) ? "" : " (not validated)")"
            }
        }
        if let why { return why }
        let derived = derivedCounts(s)
        for f in 0..<F {
            if validated(s, f) && derived.type[f] == 0 { return "frame \(f) is validated with type count 0 (devalidation missed)" }
            if typeCount(s, f) != derived.type[f] { return "frame \(f): stored type count \(typeCount(s, f)), references say \(derived.type[f])" }
            if generalCount(s, f) != derived.general[f] { return "frame \(f): stored general count \(generalCount(s, f)), references say \(derived.general[f])" }
        }
        return nil
    }
}

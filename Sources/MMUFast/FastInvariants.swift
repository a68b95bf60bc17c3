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
        case .p2mRoundtrip, .walkLimit, .noFailedHypercall, .pinnedTablesReadOnly, .noStaleCR3, .pagePinnedAgrees: return nil
        }
    }

    /// Roots every invariant walks from, as a bit mask over frames: cr3s, and root-level
    /// frames pinned or validated.
    @inline(__always)
    func rootMask(_ s: FastXenState) -> UInt64 {
        var mask: UInt64 = 0
        for v in 0..<vcpuCount { let r = cr3(s, v); if r >= 0 { mask |= 1 &<< UInt64(r) } }
        for f in 0..<frameCount where type(s, f) == rootType && meta(s, f) & (FastXen.pinnedBit | FastXen.validatedBit) != 0 {
            mask |= 1 &<< UInt64(f)
        }
        return mask
    }

    /// The tables a walk from `root` for `page` uses, root first (for messages).
    func walkTables(_ s: FastXenState, root: Int, page: Int) -> [Int] {
        var tables: [Int] = []
        var table = root, level = levelCount
        while true {
            tables.append(table)
            if level == 1 { return tables }
            let t = vFrame[entry(s, table, index(page: page, level: level))]
            guard t != FastXen.noFrame else { return tables }
            table = Int(t)
            level -= 1
        }
    }

    /// Every walk from every root: `body(root, page, table, level)` for each table used
    /// (level `level`), then `leaf(root, page, mapped, writable)` when the walk reaches a
    /// present L1 entry. Either returning true stops the walks and reports (root, page).
    @inline(__always)
    func firstWalk(_ s: FastXenState, table body: (Int, Int) -> Bool, leaf: (Int, Bool) -> Bool) -> (root: Int, page: Int)? {
        var mask = rootMask(s)
        while mask != 0 {
            let r = mask.trailingZeroBitCount
            mask &= mask &- 1
            for p in 0..<pages {
                var table = r, level = levelCount, rw = true
                while true {
                    if body(table, level) { return (r, p) }
                    let v = entry(s, table, index(page: p, level: level))
                    let t = vFrame[v]
                    if level == 1 {
                        if t != FastXen.noFrame && leaf(Int(t), rw && vRW[v]) { return (r, p) }
                        break
                    }
                    guard t != FastXen.noFrame else { break }
                    rw = rw && vRW[v]
                    table = Int(t)
                    level &-= 1
                }
            }
        }
        return nil
    }

    func checkNoWritablePagetable(_ s: FastXenState) -> String? {
        var hit = -1
        let found = firstWalk(s, table: { _, _ in false }, leaf: { m, writable in
            guard writable else { return false }
            let t = type(s, m)
            if (1...4).contains(t) && typeCount(s, m) > 0 || pinned(s, m) { hit = m; return true }
            return false
        })
        guard let (r, p) = found else { return nil }
        return "frame \(hit) (L\(type(s, hit)), type count \(typeCount(s, hit))\(pinned(s, hit) ? ", pinned" : "")) is writable at va 0x\(String(p * MMUConfig.pageSize, radix: 16)) from root \(r) via tables \(walkTables(s, root: r, page: p))"
    }

    func checkNoPagetableFromWritable(_ s: FastXenState) -> String? {
        var hit = -1, hitLevel = 0
        let found = firstWalk(s, table: { t, level in
            if type(s, t) == FastXen.typeWritable && typeCount(s, t) > 0 { hit = t; hitLevel = level; return true }
            return false
        }, leaf: { _, _ in false })
        guard let (r, p) = found else { return nil }
        return "frame \(hit) is typed writable (type count \(typeCount(s, hit))) but is used as the L\(hitLevel) table of va 0x\(String(p * MMUConfig.pageSize, radix: 16)) from root \(r)"
    }

    /// Why entry `slot` of the live level-`level` table `f` breaks its level's rule, or nil.
    func entryRuleViolation(_ s: FastXenState, table f: Int, slot: Int, level: Int) -> String? {
        let v = entry(s, f, slot)
        guard vPresent[v] else { return nil }
        func here() -> String { "entry \(f)[\(slot)] = \(values[v]) of the L\(level) table \(f)" }
        if vDisallowed[v] { return "\(here()) has disallowed flags" }
        if compatL3 && level == 3 {
            if vCompatL3Disallowed[v] { return "\(here()) has flags a 32-bit guest's L3 may not have (l3_disallow_mask)" }
            if adjustL3[v] != v { return "\(here()) lacks _PAGE_RW|_PAGE_USER, which Xen forces on a 32-bit guest's L3 entries (adjust_guest_l3e)" }
        }
        let tt = vFrame[v]
        guard tt != FastXen.noFrame else { return "\(here()) names no machine frame" }
        let t = Int(tt)
        if xenOwned(s, t) { return "\(here()) maps a frame the guest does not own" }
        if level <= 1 {
            if !vRW[v] || type(s, t) == FastXen.typeWritable && validated(s, t) { return nil }
            return "\(here()) is writable but frame \(t) is not a validated writable frame"
        }
        if t == f {
            if !linearAllowed(level) { return "\(here()) is a self-reference but " + (config.recursiveEntries ? "a 32-bit guest's L3 may hold no linear entry (XSA-185)" : "recursive entries are off") }
            return vRW[v] ? "\(here()) is a writable self-reference" : nil
        }
        if type(s, t) == FastXen.tableType(level - 1) && validated(s, t) { return nil }
        if type(s, t) == FastXen.tableType(level) && validated(s, t) {
            if !linearAllowed(level) { return "\(here()) is a linear entry but " + (config.recursiveEntries ? "a 32-bit guest's L3 may hold no linear entry (XSA-185)" : "recursive entries are off") }
            return vRW[v] ? "\(here()) is a writable linear entry" : nil
        }
        return "\(here()) needs an L\(level - 1) table but frame \(t) is not one in force"
    }

    func checkValidatedEntries(_ s: FastXenState) -> String? {
        for f in 0..<frameCount where isLivePageTable(s, f) {
            for slot in 0..<slotCount {
                if let why = entryRuleViolation(s, table: f, slot: slot, level: Int(type(s, f))) { return why }
            }
        }
        return nil
    }

    /// Calls `body(target, demand, holder)` for every reference that exists (the holder's
    /// name is built only when asked for).
    @inline(__always)
    func forEachReference(_ s: FastXenState, _ body: (Int, UInt8, () -> String) -> Void) {
        for f in 0..<frameCount where isLivePageTable(s, f) {
            let level = Int(type(s, f))
            for slot in 0..<slotCount {
                if let r = referenceOf(s, value: entry(s, f, slot), table: f, level: level) {
                    body(r.target, r.demand, { "entry \(f)[\(slot)]" })
                }
            }
        }
        for f in 0..<frameCount where pinned(s, f) { body(f, type(s, f), { "the pin of frame \(f)" }) }
        for v in 0..<vcpuCount { let r = cr3(s, v); if r >= 0 { body(r, rootType, { "the cr3 of vCPU \(v)" }) } }
    }

    /// The stored counts.
    public func storedCounts(_ s: FastXenState) -> (type: [Int], general: [Int]) {
        ((0..<frameCount).map { typeCount(s, $0) }, (0..<frameCount).map { generalCount(s, $0) })
    }

    func checkCountsMatch(_ s: FastXenState) -> String? {
        for f in 0..<frameCount {
            if pinned(s, f) && !isLivePageTable(s, f) { return "frame \(f) is pinned but is not a validated page table" }
            if validated(s, f) && type(s, f) == FastXen.typeNone { return "frame \(f) is validated with type none" }
        }
        var why: String? = nil
        // Derived counts on the stack: type counts in bytes 0..<64, general counts in 64..<128.
        var derived = (FastXenState(), FastXenState())
        forEachReference(s) { t, d, holder in
            derived.1[t] &+= 1
            if d == type(s, t) { derived.0[t] &+= 1 }
            guard why == nil, d != FastXen.noDemand else { return }
            if type(s, t) != d || !validated(s, t) {
                why = "\(holder()) demands type code \(d) of frame \(t), which has type code \(type(s, t))\(validated(s, t) ? "" : " (not validated)")"
            }
        }
        if let why { return why }
        for f in 0..<frameCount {
            let tc = Int(derived.0[f]), gc = Int(derived.1[f])
            if validated(s, f) && tc == 0 { return "frame \(f) is validated with type count 0 (devalidation missed)" }
            if typeCount(s, f) != tc { return "frame \(f): stored type count \(typeCount(s, f)), references say \(tc)" }
            if generalCount(s, f) != gc { return "frame \(f): stored general count \(generalCount(s, f)), references say \(gc)" }
        }
        return nil
    }
}

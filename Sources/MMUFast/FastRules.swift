import MMUSpec

/// Xen's typing rules with stored counts: taking and dropping references
/// (`get_page` / `get_page_type`, `put_page` / `put_page_type`), the per-level entry rules,
/// `mod_lN_entry`, and devalidation when a type count reaches zero.
///
/// Every function works on a scratch copy; a request keeps it only when nothing threw
/// (see `finish`), which gives "a rejected request changes nothing" for the price of a
/// 64-byte copy.
extension FastXen {
    /// Take one reference on `target` demanding type `demand` (`noDemand`: general only):
    /// the general count always rises, the type count when the demand is the frame's type.
    @inline(__always)
    func addRef(_ s: inout FastXenState, _ target: Int, _ demand: UInt8) {
        s[gcBase &+ target] &+= 1
        if demand == type(s, target) { s[tcBase &+ target] &+= 1 }
    }

    /// Drop one reference (the inverse of `addRef`). Devalidation of a frame whose type
    /// count reached zero happens at the end of the request (`devalidateUnreferenced`).
    @inline(__always)
    func dropRef(_ s: inout FastXenState, _ target: Int, _ demand: UInt8) {
        s[gcBase &+ target] &-= 1
        if demand == type(s, target) { s[tcBase &+ target] &-= 1 }
    }

    /// The reference entry value `v` holds in the live level-`level` table `table`:
    /// (target, demanded type), or nil for none (not present, or a self-reference).
    /// An L1 entry demands writable when RW, nothing otherwise; an Lk entry demands
    /// L(k-1), or Lk when it is a linear entry to a live table of its own level.
    @inline(__always)
    func referenceOf(_ s: FastXenState, value v: Int, table: Int, level: Int) -> (target: Int, demand: UInt8)? {
        let t = vFrame[v]
        guard t != FastXen.noFrame else { return nil }
        let target = Int(t)
        if level <= 1 { return (target, vRW[v] ? FastXen.typeWritable : FastXen.noDemand) }
        if target == table { return nil }
        let m = meta(s, target)
        if m & FastXen.typeMask == FastXen.tableType(level) && m & FastXen.validatedBit != 0 { return (target, FastXen.tableType(level)) }
        return (target, FastXen.tableType(level - 1))
    }

    /// `get_page_type(f, t)` without the reference itself (the caller adds it): share a type
    /// in force, refuse another type in force, or retype and validate (a page table by
    /// checking every entry, each taking its own references). The frame is marked validated
    /// before its entries are checked, so a table that maps itself meets itself as busy.
    func getPageType(_ s: inout FastXenState, _ f: Int, _ t: UInt8) throws(XenError) {
        guard f >= 0, f < frameCount, !xenOwned(s, f) else { throw .einval }
        let m = meta(s, f)
        if m & FastXen.validatedBit != 0 {
            if m & FastXen.typeMask == t { return }
            throw .einval
        }
        setMeta(&s, f, (m & ~FastXen.typeMask) | t | FastXen.validatedBit)
        guard (1...4).contains(t) else { return }
        let level = Int(t)
        let compat = compatL3 && level == 3
        for slot in 0..<slotCount {
            try validateEntry(&s, value: entry(s, f, slot), table: f, level: level)
            // promote_l3_table: each entry of a 32-bit guest's L3 is adjusted once checked.
            if compat { setEntry(&s, f, slot, Int(adjustL3[entry(s, f, slot)])) }
        }
        if compat, slotCount > 3 {
            // create_pae_xen_mappings: the L2 of slot 3 must be this L3's alone.
            let v = entry(s, f, 3)
            if vPresent[v], vFrame[v] != FastXen.noFrame, typeCount(s, Int(vFrame[v])) != 1 { throw .einval }
        }
    }

    /// Whether linear entries are accepted in a level-`level` table (not in a 32-bit guest's
    /// L3 since the XSA-185 fix).
    @inline(__always)
    func linearAllowed(_ level: Int) -> Bool {
        config.recursiveEntries && !(compatL3 && level == 3 && !compatL3Linear)
    }

    /// The rule of one level for entry value `v` in table `table` (`get_page_from_lNe`);
    /// on success the entry's reference is taken.
    func validateEntry(_ s: inout FastXenState, value v: Int, table: Int, level: Int) throws(XenError) {
        guard vPresent[v] else { return }
        guard !vDisallowed[v] else { throw .einval }
        if compatL3 && level == 3 && vCompatL3Disallowed[v] { throw .einval }
        let t = vFrame[v]
        guard t != FastXen.noFrame else { throw level <= 1 ? .eperm : .einval }
        let target = Int(t)
        guard !xenOwned(s, target) else { throw level <= 1 ? .ebusy : .einval }
        if level <= 1 {
            guard vRW[v] else { addRef(&s, target, FastXen.noDemand); return }
            do {
                try getPageType(&s, target, FastXen.typeWritable)
            } catch {
                guard allowWritableL1ToPagetable else { throw .ebusy }
            }
            addRef(&s, target, FastXen.typeWritable)
            return
        }
        if target == table {
            guard linearAllowed(level), !vRW[v] else { throw .einval }
            return
        }
        let below = FastXen.tableType(level - 1)
        do {
            try getPageType(&s, target, below)
            addRef(&s, target, below)
        } catch {
            let same = FastXen.tableType(level)
            guard error == .einval, linearAllowed(level), !vRW[v],
                  type(s, target) == same, validated(s, target) else { throw error }
            addRef(&s, target, same)
        }
    }

    /// `mod_lN_entry`: write value `v` into slot `slot` of the live level-`level` table.
    /// Fast path when only whitelisted flags change on the same present frame; otherwise
    /// the new entry is validated (taking its reference) with the old one still in place,
    /// written, and the old entry's reference dropped.
    func updateEntry(_ s: inout FastXenState, table: Int, slot: Int, level: Int, value new: Int) throws(XenError) {
        let old = entry(s, table, slot)
        let n = values.count
        var v = new
        if compatL3 && level == 3 {
            // mod_l3_entry for a 32-bit guest: slots 3 and up are Xen's; the entry is adjusted
            // before it is checked, or (XSA-185 mutation) checked as written, stored adjusted.
            guard slot < 3 else { throw .einval }
            if compatL3Linear {
                try validateEntry(&s, value: v, table: table, level: level)
                setEntry(&s, table, slot, Int(adjustL3[v]))
                if keepOldReference { return }
                if let r = referenceOf(s, value: old, table: table, level: level) { dropRef(&s, r.target, r.demand) }
                return
            }
            if !noCompatL3Adjust { v = Int(adjustL3[v]) }
        }
        if fastPath[(level >= 2 ? n &* n : 0) &+ old &* n &+ v] {
            setEntry(&s, table, slot, v)
            return
        }
        try validateEntry(&s, value: v, table: table, level: level)
        setEntry(&s, table, slot, v)
        if keepOldReference { return }
        if let r = referenceOf(s, value: old, table: table, level: level) { dropRef(&s, r.target, r.demand) }
    }

    /// `put_page_type` reaching 0: every validated frame with type count 0 loses
    /// `validated`; a table that loses it drops its entries' references, which may cascade.
    func devalidateUnreferenced(_ s: inout FastXenState) {
        var changed = true
        while changed {
            changed = false
            for f in 0..<frameCount {
                let m = meta(s, f)
                guard m & FastXen.validatedBit != 0, s[tcBase &+ f] == 0 else { continue }
                setMeta(&s, f, m & ~FastXen.validatedBit)
                changed = true
                let t = m & FastXen.typeMask
                guard (1...4).contains(t), !noDevalidationCascade else { continue }
                for slot in 0..<slotCount {
                    if let r = referenceOf(s, value: entry(s, f, slot), table: f, level: Int(t)) { dropRef(&s, r.target, r.demand) }
                }
            }
        }
    }
}

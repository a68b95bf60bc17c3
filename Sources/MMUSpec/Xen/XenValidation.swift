/// Xen's typing rules: `get_page_type`, the per-level entry rules (`get_page_from_lNe`),
/// entry updates (`mod_lN_entry`) and devalidation (`put_page_type` 1 -> 0).
///
/// Every function here works on `self` as a scratch copy: the public operations copy the
/// state, call these, and keep the copy only when nothing threw. That gives Xen's "a failed
/// call changes nothing" without modelling Xen's careful unwinding.

extension PTEFlags {
    /// Every flag bit the model knows (the named ones).
    public static let modelled: PTEFlags = PTEFlags.named.reduce(into: PTEFlags()) { $0.formUnion($1.1) }
    /// Bits the model's Xen refuses in a present entry: PSE (the model has no superpages)
    /// and every bit the model does not name (reserved bits, `L1_DISALLOW_MASK` and friends).
    public static let disallowed: PTEFlags = PTEFlags(rawValue: ~modelled.rawValue).union(.pse)
    /// What a 32-bit guest's L3 entries may not have besides (`l3_disallow_mask` for a pv32
    /// domain, 0xFFFFF198: of the model's flags, GLOBAL and NX).
    public static let compatL3Disallowed: PTEFlags = [.global, .nx]
}

extension PTE {
    /// `adjust_guest_l3e` for a 32-bit PV guest (`MMUConfig.compatL3`): a present L3 entry with
    /// `_PAGE_RW|_PAGE_USER` forced on (the hardware walks the guest's PAE L3 as a 64-bit L3).
    public var adjustedCompatL3: PTE { isPresent ? PTE(frame: frame, flags: flags.union([.rw, .user])) : self }

    /// `mod_lN_entry`'s fast path: the update of a present entry to a present entry naming
    /// the same frame that changes only `PTEFlags.fastPathWhitelist` bits is written without
    /// re-validation (the entry rule's verdict cannot change). `oldFastPath`: the test-only
    /// `.oldFastPath` mutation (XSA-148/182), any change keeping frame and PRESENT.
    /// Both engines decide the fast path here.
    public static func updateSkipsValidation(old: PTE, new: PTE, oldFastPath: Bool) -> Bool {
        guard old.isPresent, new.isPresent, old.frame == new.frame else { return false }
        return oldFastPath || old.flags.symmetricDifference(new.flags).isSubset(of: .fastPathWhitelist)
    }

    /// This entry as `MMU_PT_UPDATE_PRESERVE_AD` writes it over `old`: the old entry's
    /// Accessed and Dirty bits ORed in (`PTEFlags.accessedDirty`). Both engines merge here.
    public func preservingAD(of old: PTE) -> PTE {
        PTE(frame: frame, flags: flags.union(old.flags.intersection(.accessedDirty)))
    }
}

extension XenState {
    /// `get_page_type(f, t)`: make frame `f` hold type `t` for one more reference.
    ///
    /// - The frame already holds `t` in force (`validated`): the reference is shared.
    /// - The frame holds another type in force: `-EINVAL` (types are exclusive).
    /// - Otherwise (type count 0): retype to `t` and validate: a writable frame at once, a
    ///   page table by checking every entry for its level, recursively typing the targets.
    ///
    /// "In force" is `validated`: in a state where `counts-match` holds, validated <=> type
    /// count > 0 (the fixpoint of `devalidateUnreferenced` guarantees it), and a frame being
    /// validated right now is marked validated *before* its entries are checked, which plays
    /// the role of the type reference Xen takes before `alloc_page_type` (so a table that
    /// maps itself, directly or through a child, meets itself as busy). A failure leaves the
    /// scratch copy half-changed; the caller discards it.
    mutating func getPageType(_ f: Int, _ t: PageType) throws(XenError) {
        guard isFrame(f) else { throw .einval }
        guard frames[f].owner == .guest else { throw .einval }   // get_page_and_type_from_mfn: -EINVAL
        if frames[f].validated {
            if frames[f].type == t { return }
            throw .einval
        }
        frames[f].type = t
        frames[f].validated = true
        guard let level = t.level else { return }
        for slot in frames[f].entries.indices {
            try validateEntry(frames[f].entries[slot], inTable: f, level: level)
            // promote_l3_table: each entry of a 32-bit guest's L3 is adjusted once checked.
            if compatL3(level) { frames[f].entries[slot] = frames[f].entries[slot].adjustedCompatL3 }
        }
        if compatL3(level), sharedSlot3L2(ofL3: f) != nil { throw .einval }
    }

    /// `create_pae_xen_mappings` ("PAE L3 3rd slot is shared"): with the compat L3 rules, the
    /// L2 that slot 3 of the L3 `l3` names must be that L3's alone (type count 1: it holds
    /// Xen's private mappings). The L2's frame when it is not, else nil. `counts`: the state's
    /// `typeCounts()`, when the caller has them.
    public func sharedSlot3L2(ofL3 l3: Int, counts: [Int]? = nil) -> Int? {
        guard config.compatL3, let e = entry(l3, 3), e.isPresent, isFrame(e.frame) else { return nil }
        return (counts ?? typeCounts())[e.frame] != 1 ? e.frame : nil
    }

    /// Whether the compat L3 rules apply to a level-`level` table (`is_pv_32bit_domain`, L3).
    func compatL3(_ level: Int) -> Bool { level == 3 && config.compatL3 }

    /// Whether linear (same-level, read-only) entries are accepted in a level-`level` table:
    /// `config.recursiveEntries`, except in a 32-bit guest's L3 since the XSA-185 fix
    /// (`get_page_from_l3e` calls `get_l3_linear_pagetable` only for 64-bit guests).
    func linearAllowed(_ level: Int) -> Bool {
        config.recursiveEntries && !(compatL3(level) && !mutations.contains(.compatL3Linear))
    }

    /// The entry rule of one level (`get_page_from_l1e` .. `get_page_from_l4e`): may entry `e`
    /// stand in the level-`level` table `table`? Takes (types and validates) what it needs.
    ///
    /// - non-present: always fine;
    /// - PSE or a bit the model does not know: `-EINVAL` (the level's disallow mask);
    /// - the target must be a frame the guest owns: `-EPERM` (no I/O memory, no Xen frames);
    /// - L1: RW needs `get_page_type(writable)`, refused with `-EBUSY` when the target is a
    ///   page table in force (today's Xen); RO needs only a general reference;
    /// - Lk (k >= 2): the target must get type L(k-1); failing that with `-EINVAL` and when
    ///   `config.recursiveEntries`, a linear entry is accepted if it is read-only and its target
    ///   is the table itself or a validated table of the same level (`get_lN_linear_pagetable`).
    mutating func validateEntry(_ e: PTE, inTable table: Int, level: Int) throws(XenError) {
        guard e.isPresent else { return }
        guard e.flags.isDisjoint(with: .disallowed) else { throw .einval }
        if compatL3(level), !e.flags.isDisjoint(with: .compatL3Disallowed) { throw .einval }   // "Bad L3 flags"
        // Xen's answers: an L1 entry to a frame that is no RAM needs I/O-memory permission
        // (-EPERM, none in the model); to another domain's frame, get_page_from_l1e's
        // could_not_pin (-EBUSY); an upper-level entry, get_page_and_type_from_mfn (-EINVAL).
        guard isFrame(e.frame) else { throw level <= 1 ? .eperm : .einval }
        guard frames[e.frame].owner == .guest else { throw level <= 1 ? .ebusy : .einval }
        if level <= 1 {
            guard e.isWritable else { return }
            do {
                try getPageType(e.frame, .writable)
            } catch {
                if mutations.contains(.allowWritableL1ToPagetable) { return }
                throw .ebusy
            }
            return
        }
        if e.frame == table {
            // A self-reference can only be linear (the table is busy as level `level`).
            guard linearAllowed(level), !e.isWritable else { throw .einval }
            return
        }
        do {
            try getPageType(e.frame, .pageTable(level - 1))
        } catch {
            let target = frames[e.frame]
            guard error == .einval, linearAllowed(level), !e.isWritable,
                  target.type == .pageTable(level), target.validated else { throw error }
        }
    }

    /// `mod_lN_entry`: write `val` into slot `slot` of the live level-`level` table `table`.
    ///
    /// Fast path (no re-validation) when the old and new entries are both present, name the
    /// same frame and differ only in `PTEFlags.fastPathWhitelist` bits: the rule's verdict
    /// cannot change then. With the `.oldFastPath` mutation any change of an L2-L4 entry
    /// keeping frame and PRESENT takes the fast path (XSA-182: adding RW to a linear entry
    /// slips through); L1 entries are re-validated as old Xen's `mod_l1_entry` always did.
    /// Slow path: validate the new entry (taking its references) with the old one still in
    /// place, then write; the old entry's references go away with it (derived counts) and the
    /// caller's `devalidateUnreferenced` drops whatever that leaves unreferenced.
    mutating func updateEntry(table: Int, slot: Int, level: Int, val new: PTE) throws(XenError) {
        guard let old = entry(table, slot) else { throw .einval }
        var val = new
        if compatL3(level) {
            // mod_l3_entry for a 32-bit guest: slot 3 and up are Xen's (is_guest_l3_slot);
            // the entry is adjusted before it is checked (since 2039ebfd59), or, with the
            // XSA-185 mutation, checked as written and adjusted when stored.
            guard slot < 3 else { throw .einval }
            if mutations.contains(.compatL3Linear) {
                try validateEntry(val, inTable: table, level: level)
                frames[table].entries[slot] = val.adjustedCompatL3
                return
            }
            val = val.adjustedCompatL3
        }
        if PTE.updateSkipsValidation(old: old, new: val, oldFastPath: level >= 2 && mutations.contains(.oldFastPath)) {
            frames[table].entries[slot] = val
            return
        }
        try validateEntry(val, inTable: table, level: level)
        frames[table].entries[slot] = val
    }

    /// `put_page_type` reaching 0, to a fixpoint: every frame that is validated but has no
    /// reference demanding its type loses `validated` (it keeps its type field); a table
    /// that loses it drops its entries' references, which may cascade down the tree.
    mutating func devalidateUnreferenced() {
        while true {
            let counts = typeCounts()
            let stale = frames.indices.filter { frames[$0].validated && counts[$0] == 0 }
            if stale.isEmpty { return }
            for f in stale { frames[f].validated = false }
        }
    }

    /// Runs `body` on a scratch copy; keeps the copy (after devalidation) only on success.
    mutating func atomically<T>(_ body: (inout XenState) throws(XenError) -> T) -> Result<T, XenError> {
        var scratch = self
        do {
            let value = try body(&scratch)
            scratch.devalidateUnreferenced()
            self = scratch
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    /// The entry rule as a read-only predicate over the current state (for `validated-entries`):
    /// nil if entry `slot` of the level-`level` table `table` may stand there, else why not.
    public func entryRuleViolation(table: Int, slot: Int, level: Int) -> String? {
        guard let e = entry(table, slot) else { return "entry \(table)[\(slot)] does not exist" }
        guard e.isPresent else { return nil }
        let here = "entry \(table)[\(slot)] = \(e) of the L\(level) table \(table)"
        if !e.flags.isDisjoint(with: .disallowed) { return "\(here) has disallowed flags \(e.flags.intersection(.disallowed))" }
        guard isFrame(e.frame) else { return "\(here) names no machine frame" }
        let target = frames[e.frame]
        guard target.owner == .guest else { return "\(here) maps a frame the guest does not own" }
        let inForce = "\(target.type)\(target.validated ? "" : " (not validated)")"
        if level <= 1 {
            guard e.isWritable else { return nil }
            if target.type == .writable && target.validated { return nil }
            return "\(here) is writable but frame \(e.frame) is \(inForce), not writable"
        }
        if compatL3(level) && !e.flags.isDisjoint(with: .compatL3Disallowed) {
            return "\(here) has flags a 32-bit guest's L3 may not have (\(e.flags.intersection(.compatL3Disallowed)), l3_disallow_mask)"
        }
        if compatL3(level) && !e.flags.isSuperset(of: [.rw, .user]) {
            return "\(here) lacks _PAGE_RW|_PAGE_USER, which Xen forces on a 32-bit guest's L3 entries (adjust_guest_l3e)"
        }
        if e.frame == table {
            if !linearAllowed(level) { return "\(here) is a self-reference but " + (config.recursiveEntries ? "a 32-bit guest's L3 may hold no linear entry (XSA-185)" : "recursive entries are off") }
            if e.isWritable { return "\(here) is a writable self-reference" }
            return nil
        }
        if target.type == .pageTable(level - 1) && target.validated { return nil }
        if target.type == .pageTable(level) && target.validated {
            if !linearAllowed(level) { return "\(here) is a linear entry but " + (config.recursiveEntries ? "a 32-bit guest's L3 may hold no linear entry (XSA-185)" : "recursive entries are off") }
            if e.isWritable { return "\(here) is a writable linear entry to the L\(level) table \(e.frame)" }
            return nil
        }
        return "\(here) needs an L\(level - 1) table but frame \(e.frame) is \(inForce)"
    }
}

/// The hypervisor-level invariants (docs/model.md, "Hypervisor invariants") on `XenState`.

extension XenState {
    /// Check one hypervisor-level invariant: nil = holds, else a sentence naming the frame,
    /// entry or conjunct that broke. Guest-level invariants are not about this state: nil.
    public func check(_ invariant: Invariant) -> String? {
        switch invariant {
        case .noWritablePagetable: return checkNoWritablePagetable()
        case .noPagetableFromWritable: return checkNoPagetableFromWritable()
        case .validatedEntries: return checkValidatedEntries()
        case .countsMatch: return checkCountsMatch()
        case .p2mRoundtrip, .walkLimit, .noFailedHypercall, .pinnedTablesReadOnly, .noStaleCR3, .pagePinnedAgrees: return nil
        }
    }

    /// Every hypervisor-level invariant that fails, with its sentence (empty = all hold).
    public func violations() -> [(Invariant, String)] {
        Invariant.hypervisorLevel.compactMap { inv in check(inv).map { (inv, $0) } }
    }

    private func hex(_ va: Int) -> String { "0x" + String(va, radix: 16) }

    /// `no-writable-pagetable`: no frame with a page-table type in force (type count > 0) and
    /// no pinned frame is writable through any walk from any root (`roots()`), recursive
    /// entries included; effective RW is the AND of RW at every level.
    func checkNoWritablePagetable() -> String? {
        let counts = typeCounts()
        for r in roots() {
            for p in 0..<pageCount {
                let w = walk(root: r, page: p)
                guard w.writable, let m = w.mapped else { continue }
                let f = frames[m]
                if f.type.isPageTable && counts[m] > 0 || f.pinned {
                    return "frame \(m) (\(f.type), type count \(counts[m])\(f.pinned ? ", pinned" : "")) is writable at va \(hex(p * MMUConfig.pageSize)) from root \(r) via tables \(w.tables)"
                }
            }
        }
        return nil
    }

    /// `no-pagetable-from-writable`: no frame typed writable with a type count > 0 is used as
    /// a page table: as a root, or as a table of any walk from a root.
    func checkNoPagetableFromWritable() -> String? {
        let counts = typeCounts()
        for r in roots() {
            for p in 0..<pageCount {
                let w = walk(root: r, page: p)
                for (depth, t) in w.tables.enumerated() where frames[t].type == .writable && counts[t] > 0 {
                    return "frame \(t) is typed writable (type count \(counts[t])) but is used as the L\(rootLevel - depth) table of va \(hex(p * MMUConfig.pageSize)) from root \(r)"
                }
            }
        }
        return nil
    }

    /// `validated-entries`: every entry of every validated page table satisfies its level's
    /// rule in the current state (`entryRuleViolation`, the read-only twin of `validateEntry`,
    /// which follows `get_page_from_l1e` .. `get_page_from_l4e` in Xen's `xen/arch/x86/mm.c`).
    func checkValidatedEntries() -> String? {
        for (f, frame) in frames.enumerated() where frame.isLivePageTable {
            let level = frame.type.level ?? 1
            for slot in frame.entries.indices {
                if let why = entryRuleViolation(table: f, slot: slot, level: level) { return why }
            }
        }
        return nil
    }

    /// `counts-match`: the derived counts are well-formed. Counts are recomputed from the
    /// references, so "count == references" holds by construction; what can break is what
    /// the references demand: every reference demands its target's current type and the
    /// target is validated (an entry, a pin or a cr3 never names a frame of another type or a
    /// devalidated table); a validated frame has a type count > 0 (devalidation happened, as
    /// Xen's `put_page_type` does when a type count goes 1 -> 0); a frame of type none is
    /// never validated; a pinned frame is a validated page table.
    func checkCountsMatch() -> String? {
        for (f, frame) in frames.enumerated() {
            if frame.pinned && !frame.isLivePageTable {
                return "frame \(f) is pinned but is not a validated page table (\(frame.type), validated \(frame.validated))"
            }
            if frame.validated && frame.type == .none { return "frame \(f) is validated with type none" }
        }
        for r in references() {
            let t = frames[r.target]
            guard let d = r.demand else { continue }
            if t.type != d || !t.validated {
                return "\(r.holder) demands type \(d) of frame \(r.target), which is \(t.type)\(t.validated ? "" : " (not validated)")"
            }
        }
        let counts = typeCounts()
        for (f, frame) in frames.enumerated() where frame.validated && counts[f] == 0 {
            return "frame \(f) (\(frame.type)) is validated with type count 0 (devalidation missed)"
        }
        return nil
    }
}

import MMUSpec
import SMT

/// The hypervisor-level invariants as formulas over a symbolic state, under the same
/// kebab-case names (`XenInvariants.swift` states them on `XenState`; the agreement tests hold
/// each formula to the spec's verdict). Each invariant is a list of named conjuncts, so a
/// failed proof can name the one that broke.
extension SymbolicXenState {
    /// `roots()`: frame `r` is a loaded cr3, or a root-level table pinned or validated.
    func isRoot(_ r: Int) -> Expr {
        ctx.or((0..<size.vcpus).map { cr3Set[$0] && cr3[$0].eq(UInt64(r)) })
            || (frames[r].type.eq(UInt64(size.levels)) && (frames[r].pinned || frames[r].validated))
    }

    /// The conjuncts of `invariant` (empty for the guest-level ones, which are not about this state).
    /// `representatives`: only those about frame 0 (`SymbolicSize.representatives`; for the
    /// walks: root 0, every page).
    func conjuncts(_ invariant: Invariant, representatives: Bool = false) -> [(name: String, formula: Expr)] {
        let tables = representatives ? 0..<1 : 0..<size.frames
        let slots = 0..<size.slots
        switch invariant {
        case .noWritablePagetable:
            // No frame with a page-table type in force, nor a pinned one, writable through a walk.
            var out: [(String, Expr)] = []
            for r in tables {
                for p in 0..<size.pages {
                    let w = walk(root: ctx.bv(UInt64(r), width: size.frameBits), page: ctx.bv(UInt64(p), width: size.vaBits))
                    let m = w.leaf.frame
                    let type = select(m, \.type)
                    let pageTable = ctx.or((1...4).map { type.eq(UInt64($0)) })
                    let pinned = size.defects.contains(.noWritablePagetableIgnoresPins) ? ctx.bool(false) : select(m, \.pinned)
                    let bad = (pageTable && hasTypeReference(m)) || pinned
                    out.append(("root \(r) page \(p)", !(isRoot(r) && w.writable && bad)))
                }
            }
            return out
        case .noPagetableFromWritable:
            var out: [(String, Expr)] = []
            for r in tables {
                for p in 0..<size.pages {
                    let w = walk(root: ctx.bv(UInt64(r), width: size.frameBits), page: ctx.bv(UInt64(p), width: size.vaBits))
                    for (depth, t) in w.tables.enumerated() {
                        let bad = w.reached[depth] && select(t, \.type).eq(UInt64(PageType.writable.rawValue)) && hasTypeReference(t)
                        out.append(("root \(r) page \(p) level \(size.levels - depth)", !(isRoot(r) && bad)))
                    }
                }
            }
            return out
        case .validatedEntries:
            var out: [(String, Expr)] = []
            for t in tables {
                for k in slots {
                    let table = ctx.bv(UInt64(t), width: size.frameBits)
                    for level in 1...size.levels {
                        let live = frames[t].validated && frames[t].type.eq(UInt64(level))
                        out.append(("entry \(t)[\(k)] at L\(level)", live ==> entryRuleHolds(frames[t].entries[k], table: table, level: level)))
                    }
                }
            }
            return out
        case .countsMatch:
            var out: [(String, Expr)] = []
            for f in tables {
                let fr = frames[f], me = ctx.bv(UInt64(f), width: size.frameBits)
                out.append(("pinned \(f) is a live table", fr.pinned ==> isLivePageTable(me)))
                out.append(("validated \(f) has a type", fr.validated ==> fr.type.ne(UInt64(PageType.none.rawValue))))
                out.append(("validated \(f) is referenced", fr.validated ==> hasTypeReference(f)))
                out.append(("the pin of \(f) finds its type validated", fr.pinned ==> fr.validated))
            }
            for v in 0..<size.vcpus {
                let root = cr3[v]
                out.append(("cr3 of vCPU \(v) names a validated root", (cr3Set[v] && isFrame(root))
                            ==> (select(root, \.type).eq(UInt64(size.levels)) && select(root, \.validated))))
            }
            for t in tables {
                let table = frames[t]
                for k in slots {
                    let e = table.entries[k]
                    for level in 1...size.levels {
                        let live = table.validated && table.type.eq(UInt64(level))
                        let holds = referenceDemandHolds(e, table: t, level: level)
                        out.append(("entry \(t)[\(k)] at L\(level) demands its target's type", (live && e.present && isFrame(e.frame)) ==> holds))
                    }
                }
            }
            return out
        case .p2mRoundtrip, .walkLimit, .noFailedHypercall, .pinnedTablesReadOnly, .noStaleCR3, .pagePinnedAgrees:
            return []
        }
    }

    /// The conjunction of `invariant`'s conjuncts.
    func formula(_ invariant: Invariant) -> Expr { ctx.and(conjuncts(invariant).map(\.formula)) }

    /// `entryRuleViolation(...) == nil`: entry `e` may stand in the live level-`level` table `table`.
    func entryRuleHolds(_ e: SymbolicEntry, table: Expr, level: Int) -> Expr {
        let target = e.frame
        let tType = select(target, \.type), tValid = select(target, \.validated)
        let basic = (e.flags & UInt64(PTEFlags.disallowed.rawValue)).eq(0) && isFrame(target) && !select(target, \.xen)
        let rule: Expr
        if level <= 1 {
            rule = !e.rw || (tType.eq(UInt64(PageType.writable.rawValue)) && tValid)
        } else {
            let selfRef = target.eq(table)
            let down = tType.eq(UInt64(level - 1)) && tValid
            let linear = tType.eq(UInt64(level)) && tValid && recursive && !e.rw
            rule = ctx.ite(selfRef, recursive && !e.rw, down || linear)
        }
        return !e.present || (basic && rule)
    }

    /// The reference entry `e` of the live level-`level` table `table` holds demands its
    /// target's current type, and the target is validated (`counts-match`).
    func referenceDemandHolds(_ e: SymbolicEntry, table: Int, level: Int) -> Expr {
        let tType = select(e.frame, \.type), tValid = select(e.frame, \.validated)
        if level <= 1 { return !e.rw || (tType.eq(UInt64(PageType.writable.rawValue)) && tValid) }
        let selfRef = e.frame.eq(UInt64(table))
        let linear = tType.eq(UInt64(level)) && tValid
        let demanded = ctx.ite(linear, ctx.bv(UInt64(level), width: SymbolicSize.typeBits), ctx.bv(UInt64(level - 1), width: SymbolicSize.typeBits))
        return selfRef || (tType.eq(demanded) && tValid)
    }
}

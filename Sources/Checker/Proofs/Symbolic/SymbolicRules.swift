import MMUSpec
import SMT

/// A computation in progress: the state so far and the error code (0 while nothing failed).
/// Writes are guarded by `ok`, so once a check fails the state stays as it was at that point;
/// a request that fails is discarded whole by `atomically`, as the spec's scratch copy is.
struct SymbolicRun {
    var state: SymbolicXenState
    var error: Expr
    /// The modular encoding's contracts of the calls it did not unroll (`ModularContracts.swift`):
    /// true of every real execution, so the proofs may assume them. Empty in the exact encoding.
    var assumptions: [Expr] = []
    /// Fresh names taken so far (the modular encoding names each abstract call's results).
    var freshNames = 0
    var ctx: Context { error.context }
    var ok: Expr { error.eq(0) }

    init(_ state: SymbolicXenState) {
        self.state = state
        error = state.ctx.bv(0, width: SymbolicSize.errorBits)
    }

    /// A run of a nested call from the current state (no error yet), sharing the assumptions
    /// and fresh names; `absorb` takes them back.
    func nested() -> SymbolicRun {
        var inner = SymbolicRun(state)
        inner.assumptions = assumptions
        inner.freshNames = freshNames
        return inner
    }

    mutating func absorb(_ inner: SymbolicRun) {
        assumptions = inner.assumptions
        freshNames = inner.freshNames
    }

    /// The next fresh name prefix (`tag0_`, `tag1_` ...).
    mutating func freshPrefix(_ tag: String) -> String {
        defer { freshNames += 1 }
        return "\(tag)\(freshNames)_"
    }

    /// Fail with `code` when `condition` holds and nothing failed yet.
    mutating func fail(_ code: XenError, if condition: Expr) {
        error = ctx.ite(ok && condition, ctx.bv(UInt64(code.rawValue), width: SymbolicSize.errorBits), error)
    }
    /// Fail with the symbolic `code` when `condition` holds and nothing failed yet.
    mutating func fail(code: Expr, if condition: Expr) {
        error = ctx.ite(ok && condition, code, error)
    }
}

/// Xen's typing rules on symbolic states, check for check and code for code as
/// `XenValidation.swift` states them (the agreement tests hold the two together).
extension SymbolicXenState {
    func code(_ e: XenError) -> Expr { ctx.bv(UInt64(e.rawValue), width: SymbolicSize.errorBits) }
    func typeCode(_ t: PageType) -> Expr { ctx.bv(UInt64(t.rawValue), width: SymbolicSize.typeBits) }
    var recursive: Expr { ctx.bool(size.config.recursiveEntries) }

    /// `get_page_type(f, t)` (`XenState.getPageType`), on `run` (no effect once it has failed).
    /// `when`: the call happens only where this holds (a branch of the caller).
    func getPageType(_ run: inout SymbolicRun, _ f: Expr, _ t: PageType, when: Expr) {
        let s = run.state
        let active = when && run.ok
        run.fail(.einval, if: when && !isFrame(f))
        run.fail(.einval, if: when && s.select(f, \.xen))
        let validated = s.select(f, \.validated), type = s.select(f, \.type)
        run.fail(.einval, if: when && validated && type.ne(typeCode(t)))
        // Not validated: retype and validate (marked validated first: a table meets itself as busy).
        let retype = active && run.ok && !validated
        run.state = run.state.setting(f, \.type, typeCode(t), when: retype)
            .setting(f, \.validated, ctx.bool(true), when: retype)
        guard let level = t.level else { return }
        if size.modular {
            abstractEntryLoop(&run, f, level: level, when: retype)
        } else {
            entryLoop(&run, f, level: level, when: retype)
        }
    }

    /// The loop of `get_page_type` that validates each entry of the level-`level` table `f`
    /// (`alloc_page_type`), unrolled. Entries do not change while validating.
    func entryLoop(_ run: inout SymbolicRun, _ f: Expr, level: Int, when: Expr) {
        for k in 0..<size.slots {
            let e = entry(f, ctx.bv(UInt64(k), width: size.slotBits))
            validateEntry(&run, e, table: f, level: level, when: when)
        }
    }

    /// The entry rule of one level (`XenState.validateEntry`).
    func validateEntry(_ run: inout SymbolicRun, _ e: SymbolicEntry, table: Expr, level: Int, when: Expr) {
        let s = run.state
        let on = when && e.present
        run.fail(.einval, if: on && (e.flags & UInt64(PTEFlags.disallowed.rawValue)).ne(0))
        run.fail(level <= 1 ? .eperm : .einval, if: on && !isFrame(e.frame))
        run.fail(level <= 1 ? .ebusy : .einval, if: on && s.select(e.frame, \.xen))
        if level <= 1 {
            // RW needs get_page_type(writable); refused: -EBUSY (or accepted by the mutation).
            let needs = on && e.rw && run.ok && ctx.bool(!size.defects.contains(.dropL1RWCheck))
            var inner = run.nested()
            s.getPageType(&inner, e.frame, .writable, when: needs)
            run.absorb(inner)
            let refused = needs && !inner.ok
            if size.mutations.contains(.allowWritableL1ToPagetable) {
                run.state = SymbolicXenState.ite(needs && inner.ok, inner.state, run.state)
            } else {
                run.fail(.ebusy, if: refused)
                run.state = SymbolicXenState.ite(needs && inner.ok, inner.state, run.state)
            }
            return
        }
        // A self-reference can only be linear.
        let selfRef = on && e.frame.eq(table)
        run.fail(.einval, if: selfRef && !(recursive && !e.rw))
        let needs = on && !e.frame.eq(table) && run.ok
        var inner = run.nested()
        s.getPageType(&inner, e.frame, .pageTable(level - 1), when: needs)
        run.absorb(inner)
        // Refused with -EINVAL: a read-only linear entry to a validated table of this level stands.
        let linear = inner.error.eq(UInt64(XenError.einval.rawValue)) && recursive && !e.rw
            && s.select(e.frame, \.type).eq(typeCode(.pageTable(level))) && s.select(e.frame, \.validated)
        run.fail(code: inner.error, if: needs && !inner.ok && !linear)
        run.state = SymbolicXenState.ite(needs && inner.ok, inner.state, run.state)
    }

    /// `mod_lN_entry` (`XenState.updateEntry`): write `val` into slot `k` of the live
    /// level-`level` table `t`, by the fast path or after validating it.
    func updateEntry(_ run: inout SymbolicRun, table t: Expr, slot k: Expr, level: Int, _ val: SymbolicEntry, when: Expr) {
        let old = run.state.entry(t, k)
        let sameFrame = old.present && val.present && old.frame.eq(val.frame)
        let skip = level >= 2 && size.mutations.contains(.oldFastPath) ? sameFrame
            : sameFrame && ((old.flags ^ val.flags) & ~UInt64(PTEFlags.fastPathWhitelist.rawValue)).eq(0)
        validateEntry(&run, val, table: t, level: level, when: when && !skip)
        run.state = run.state.settingEntry(t, k, val, when: when && run.ok)
    }

    /// Whether some reference demands frame `f`'s current type (type count > 0 in
    /// `XenState.typeCounts`): an entry of a validated page table (`reference(of:inTable:level:)`),
    /// the frame's pin, or a cr3.
    /// `targetValidated`: read `f`'s own validated bit as this instead (whether a linear entry
    /// to `f` demands its type depends on it).
    func hasTypeReference(_ f: Int, targetValidated: Expr? = nil) -> Expr {
        let type = frames[f].type, validated = targetValidated ?? frames[f].validated
        var refs: [Expr] = [frames[f].pinned]
        for v in 0..<size.vcpus { refs.append(cr3Set[v] && cr3[v].eq(UInt64(f)) && type.eq(UInt64(size.levels))) }
        for (t, table) in frames.enumerated() {
            for level in 1...size.levels {
                let live = table.validated && table.type.eq(UInt64(level))
                for e in table.entries {
                    let names = e.present && e.frame.eq(UInt64(f))
                    let demands: Expr
                    if level == 1 {
                        demands = e.rw && type.eq(typeCode(.writable))
                    } else if t == f {
                        demands = ctx.bool(false)   // a self-reference takes no reference
                    } else {
                        let linear = type.eq(UInt64(level)) && validated
                        demands = ctx.ite(linear, ctx.bool(true), type.eq(UInt64(level - 1)))
                    }
                    refs.append(live && names && demands)
                }
            }
        }
        return ctx.or(refs)
    }

    /// `hasTypeReference` of a symbolic frame.
    func hasTypeReference(_ f: Expr) -> Expr {
        ctx.or((0..<size.frames).map { frameIs(f, $0) && hasTypeReference($0) })
    }

    /// `devalidateUnreferenced` on `run`'s state: unrolled (`devalidated(rounds:)`) in the
    /// exact encoding, its contract in the modular one (`abstractDevalidated`).
    func devalidated(_ run: inout SymbolicRun) -> SymbolicXenState {
        size.modular ? abstractDevalidated(&run) : devalidated()
    }

    /// `devalidateUnreferenced`: to a fixpoint, every validated frame no reference demands
    /// loses `validated` (all at once, as the spec does). `frames` rounds always reach it:
    /// each round that changes anything devalidates at least one frame.
    func devalidated(rounds: Int? = nil) -> SymbolicXenState {
        devalidationRounds(rounds ?? size.frames).last!
    }

    /// This state and the state after each of `n` rounds of devalidation.
    func devalidationRounds(_ n: Int) -> [SymbolicXenState] {
        var out = [self]
        for _ in 0..<n {
            var s = out[out.count - 1]
            let refs = (0..<size.frames).map { s.hasTypeReference($0) }
            for f in 0..<size.frames { s.frames[f].validated = s.frames[f].validated && refs[f] }
            out.append(s)
        }
        return out
    }
}

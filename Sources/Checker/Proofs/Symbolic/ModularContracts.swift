import MMUSpec
import SMT

/// The modular encoding: the two recursive parts of Xen's rules replaced by contracts.
///
/// Unrolled, `get_page_type` on a symbolic frame validates every entry of the table, each of
/// which may validate a table one level down: entries^levels nested calls, each threading a
/// whole state, and `devalidateUnreferenced` needs one round per frame (a chain of linear
/// entries can be as long as the frames). At 8 frames x 3 levels x 4 entries one step does not
/// finish in 280 s that way. The modular encoding, as a verifier with procedure summaries
/// would, replaces
/// - the entry loop of `get_page_type(f, Ln)` (`alloc_page_type`) by fresh results (every
///   frame's type and validated bit, whether it succeeded, its error code) constrained by
///   `loopContract`, and
/// - devalidation by fresh validated bits constrained by `devalidationContract`,
/// and proves each contract once as a lemma of its own (`get-page-type-lN-contract`: one
/// level of the loop unrolled, the calls one level down abstracted by the contract of that
/// level; `devalidation-contract`: the unrolled rounds satisfy it). The real execution always
/// satisfies the contracts (the lemmas), so an invariant that holds for every result the
/// contracts allow holds for the real one. A contract says less than the code, so a refuted
/// step in this encoding may be spurious: its explanation replays the step on the spec, which
/// says so. docs/proofs.md, "The modular encoding".
extension SymbolicXenState {
    /// What the entry loop of `get_page_type(f, L<level>)` may assume: `f` is a guest frame
    /// already retyped to L<level> and marked validated (the loop runs after that), and the
    /// state is in the encoding's domain.
    func loopPrecondition(_ f: Expr, level: Int) -> Expr {
        isFrame(f) && !select(f, \.xen) && select(f, \.validated) && select(f, \.type).eq(UInt64(level)) && wellTyped
    }

    /// Entry `k` of frame `u` obeys the rule of `u`'s type in this state (`validated-entries`).
    func ruleHolds(_ u: Int, slot k: Int) -> Expr {
        let table = ctx.bv(UInt64(u), width: size.frameBits)
        return ctx.and((1...size.levels).map { level in
            frames[u].type.eq(UInt64(level)) ==> entryRuleHolds(frames[u].entries[k], table: table, level: level)
        })
    }

    /// The contract of a successful entry loop of `get_page_type(f, ...)` from this state to
    /// `post` (which differs from it in types and validated bits only), as named conjuncts:
    /// - a validated frame keeps its type and stays validated (the loop only validates);
    /// - a frame the loop leaves unvalidated keeps its type;
    /// - every type is in the domain, and a frame the loop validates gets a type;
    /// - every entry of `f` and of every frame the loop validates obeys its level's rule in `post`.
    /// `representatives`: only the conjuncts about frame 0 (`SymbolicSize.representatives`).
    func loopContract(_ post: SymbolicXenState, table f: Expr, representatives: Bool = false) -> [(name: String, formula: Expr)] {
        var out: [(String, Expr)] = [("types in the domain", post.wellTyped)]
        for u in representatives ? 0..<1 : 0..<size.frames {
            let was = frames[u].validated, now = post.frames[u].validated
            out.append(("frame \(u) stays validated with its type", was ==> (now && post.frames[u].type.eq(frames[u].type))))
            out.append(("frame \(u) left unvalidated keeps its type", !now ==> post.frames[u].type.eq(frames[u].type)))
            out.append(("frame \(u) validated gets a type", (now && !was) ==> post.frames[u].type.ne(UInt64(PageType.none.rawValue))))
            for k in 0..<size.slots {
                out.append(("frame \(u) validated: entry \(k) obeys its rule", ((now && !was) || frameIs(f, u)) ==> post.ruleHolds(u, slot: k)))
            }
        }
        return out
    }

    /// This state with fresh types and validated bits named `prefix`, taken where `when` holds.
    func withFreshTypes(_ prefix: String, when: Expr, validatedOnly: Bool = false) -> SymbolicXenState {
        var out = self
        for u in frames.indices {
            if !validatedOnly {
                out.frames[u].type = ctx.ite(when, ctx.bv("\(prefix)type\(u)", width: SymbolicSize.typeBits), frames[u].type)
            }
            out.frames[u].validated = ctx.ite(when, ctx.bool("\(prefix)validated\(u)"), frames[u].validated)
        }
        return out
    }

    /// The entry loop of `get_page_type(f, L<level>)` by its contract: it succeeds or not
    /// (fresh), fails with some nonzero code (fresh), and on success leaves a state `loopContract`
    /// allows, when the loop's precondition holds.
    func abstractEntryLoop(_ run: inout SymbolicRun, _ f: Expr, level: Int, when: Expr) {
        let prefix = run.freshPrefix("loop")
        let before = run.state
        let active = when && run.ok
        let succeeded = ctx.bool("\(prefix)ok")
        let code = ctx.bv("\(prefix)error", width: SymbolicSize.errorBits)
        let after = before.withFreshTypes(prefix, when: active && succeeded)
        run.assumptions.append(code.ne(0))
        run.assumptions.append((active && succeeded && before.loopPrecondition(f, level: level))
                               ==> ctx.and(before.loopContract(after, table: f).map(\.formula)))
        run.fail(code: code, if: active && !succeeded)
        run.state = after
    }

    /// The contract of devalidation from this state to `post` (which differs in validated bits
    /// only), as named conjuncts: it only devalidates; it keeps every frame a reference in
    /// `post` would demand if the frame itself were still validated (a linear entry demands its
    /// target's type only while the target is validated); it leaves none that no reference
    /// demands (a fixpoint). The spec's loop (`XenState.devalidateUnreferenced`) ends at a
    /// fixpoint, and removes a frame only when no reference demands it while it is still
    /// validated; the tables still live then include every table live at the end, so no
    /// reference demands it at the end either: its result satisfies all three.
    func devalidationContract(_ post: SymbolicXenState, representatives: Bool = false) -> [(name: String, formula: Expr)] {
        var out: [(String, Expr)] = []
        for u in representatives ? 0..<1 : 0..<size.frames {
            let was = frames[u].validated, now = post.frames[u].validated, referenced = post.hasTypeReference(u)
            let referencedIfKept = post.hasTypeReference(u, targetValidated: ctx.bool(true))
            out.append(("frame \(u) only devalidated", now ==> was))
            out.append(("frame \(u) kept while referenced", (was && referencedIfKept) ==> now))
            out.append(("frame \(u) dropped when unreferenced", now ==> referenced))
        }
        return out
    }

    /// Devalidation by its contract: fresh validated bits that `devalidationContract` allows
    /// (the real result is one of them).
    func abstractDevalidated(_ run: inout SymbolicRun) -> SymbolicXenState {
        let prefix = run.freshPrefix("devalidated")
        let after = withFreshTypes(prefix, when: ctx.bool(true), validatedOnly: true)
        run.assumptions.append(ctx.and(devalidationContract(after).map(\.formula)))
        return after
    }

    /// How many frames are validated, as a number wide enough to count them all.
    var validatedCount: Expr {
        let w = SymbolicSize.bits(size.frames)
        return frames.reduce(ctx.bv(0, width: w)) { sum, fr in sum + ctx.ite(fr.validated, ctx.bv(1, width: w), ctx.bv(0, width: w)) }
    }

    /// The same validated frames.
    func sameValidated(_ o: SymbolicXenState) -> Expr { ctx.and(zip(frames, o.frames).map { $0.validated.eq($1.validated) }) }

    /// The steps that prove that the last of `states` (rounds of devalidation, and one round
    /// more) is a fixpoint, each with the earlier steps it is proved from: a lemma chain, one
    /// query per step about one or two rounds, instead of one query that must find the
    /// counting argument itself (it does not finish at 8 frames).
    /// - `round i only devalidates`: X(i) is a subset of X(i-1);
    /// - `round i stable stays stable`: X(i) = X(i-1) implies X(i+1) = X(i);
    /// - `rounds 1..i all change: at most F-i left`: if each of the first i rounds devalidated a
    ///   frame, at most frames - i are still validated (from step i-1 and round i's subset);
    /// - `round n+1 changes nothing`: either every round changed (none left) or one did not
    ///   (and none after it did).
    func devalidationChain(_ states: [SymbolicXenState]) -> [(name: String, formula: Expr, uses: [Int])] {
        let n = states.count - 2
        var out: [(name: String, formula: Expr, uses: [Int])] = []
        var subset: [Int] = [], stable: [Int] = []
        var count: Int? = nil
        for i in 1...(n + 1) {
            subset.append(out.count)
            out.append(("round \(i) only devalidates",
                        ctx.and(zip(states[i].frames, states[i - 1].frames).map { $0.validated ==> $1.validated }), []))
        }
        for i in 1...n {
            stable.append(out.count)
            out.append(("round \(i) stable stays stable", states[i].sameValidated(states[i - 1]) ==> states[i + 1].sameValidated(states[i]), []))
        }
        let w = SymbolicSize.bits(size.frames)
        for i in 1...n {
            let allChanged = ctx.and((1...i).map { !states[$0].sameValidated(states[$0 - 1]) })
            let uses = [subset[i - 1]] + (count.map { [$0] } ?? [])
            count = out.count
            out.append(("rounds 1..\(i) all change: at most \(size.frames - i) left",
                        allChanged ==> states[i].validatedCount.ule(ctx.bv(UInt64(max(0, size.frames - i)), width: w)), uses))
        }
        out.append(("round \(n + 1) changes nothing", states[n + 1].sameValidated(states[n]), stable + [subset[n]] + (count.map { [$0] } ?? [])))
        return out
    }
}

import SMT

/// `walk-limit`: the seed's `pgd_walk` loops, proved for every `FIXADDR_TOP`
/// and every limit at the build's real width, wrap-around included.
///
/// Method. The three nested loops are flattened into one transition system
/// over `(pc, addr, pgd_next, pud_next, pmd_limit)` that follows the seed line
/// for line (`pgd_addr_end` / `pud_addr_end` clamping with the `- 1` trick,
/// `pmd_limit = pud_next < limit ? pud_next : limit`, the
/// `(pmd_limit-1) < (addr-1)` break, `pgd_none` / `pud_none` / `pmd_none`
/// as free choices). Nothing is unrolled over the loop counts: an inductive
/// invariant is proved to hold initially and to be preserved by every step
/// (so it holds after any number of iterations, 4 PGD slots or 512), and the
/// safety goals are proved from the invariant for an arbitrary step. No loop
/// bound is unrolled, so the proof is complete for every iteration count.
/// Termination: `addr` never falls and stays <= `FIXADDR_TOP` (invariant), and
/// every step either raises `addr`, finishes, or lowers a small rank while
/// keeping `addr` (the hand-offs between loop levels), so the walk ends.
enum WalkLimit {
    enum Variant {
        case seed
        /// Twin: no `limit != 0` hypothesis, only the seed's `BUG_ON(limit > FIXADDR_TOP)`.
        case allowLimitZero
        /// Twin: the break test written `pmd_limit < addr` (no `- 1`): wrong at 2^32.
        case breakWithoutMinusOne
    }

    // Program counter values.
    static let pgd: UInt64 = 0, pud: UInt64 = 1, pmd: UInt64 = 2, done: UInt64 = 3

    struct S {
        let pc: Expr, addr: Expr, pgdNext: Expr, pudNext: Expr, pmdLimit: Expr
        static func fresh(_ ctx: Context, _ w: Int, _ tag: String) -> S {
            S(pc: ctx.bv("pc\(tag)", width: 2), addr: ctx.bv("addr\(tag)", width: w),
              pgdNext: ctx.bv("pgd_next\(tag)", width: w), pudNext: ctx.bv("pud_next\(tag)", width: w),
              pmdLimit: ctx.bv("pmd_limit\(tag)", width: w))
        }
        func eq(_ o: S) -> Expr {
            pc.eq(o.pc) && addr.eq(o.addr) && pgdNext.eq(o.pgdNext) && pudNext.eq(o.pudNext) && pmdLimit.eq(o.pmdLimit)
        }
    }

    struct Instance {
        let ctx: Context
        let arch: Arch
        let variant: Variant
        let F: Expr, L: Expr
        var w: Int { arch.longBits }

        /// `pgd_addr_end(addr, end)` / `pud_addr_end`: the next boundary, or `end`, compared with `- 1`
        /// so that a boundary that wraps to 0 still counts as past `end`.
        func addrEnd(_ addr: Expr, size: UInt64, _ end: Expr) -> Expr {
            let boundary = (addr + size) & ~(size - 1)
            return ctx.ite((boundary - 1).ult(end - 1), boundary, end)
        }
        /// `pmd_limit = pud_next < limit ? pud_next : limit`.
        func pmdLimit(pudNext pn: Expr, limit: Expr) -> Expr { ctx.ite(pn.ult(limit), pn, limit) }
        func pmdStep(_ s: S) -> (next: Expr, breaks: Expr) {
            let next = s.addr + arch.pmdSpan
            let breaks: Expr = variant == .breakWithoutMinusOne
                ? s.pmdLimit.ult(next) : (s.pmdLimit - 1).ult(next - 1)
            return (next, breaks)
        }
        /// A PTE page reaches the callback in this step (`func(pmd_page(*pmd), PT_PTE)`).
        func emits(_ s: S, pmdNone: Expr) -> Expr {
            s.pc.eq(pmd) && s.addr.ne(s.pmdLimit) && !pmdStep(s).breaks && !pmdNone
        }

        /// The step relation: `s2` follows `s` given the free choices.
        func step(_ s: S, _ s2: S, pgdNone: Expr, pudNone: Expr) -> Expr {
            let c = ctx
            // PGD loop head: `for (; addr != FIXADDR_TOP; pgd++, addr = pgd_next)`
            let gn = addrEnd(s.addr, size: 1 << UInt64(arch.pgdirShift), F)
            let atTop = s.addr.eq(F)
            let pgdCase = c.ite(atTop,
                s2.eq(S(pc: c.bv(done, width: 2), addr: s.addr, pgdNext: s.pgdNext, pudNext: s.pudNext, pmdLimit: s.pmdLimit)),
                c.ite(pgdNone,
                      s2.eq(S(pc: c.bv(pgd, width: 2), addr: gn, pgdNext: gn, pudNext: s.pudNext, pmdLimit: s.pmdLimit)),
                      s2.eq(S(pc: c.bv(pud, width: 2), addr: s.addr, pgdNext: gn, pudNext: s.pudNext, pmdLimit: s.pmdLimit))))
            // PUD loop head: `for (; addr != pud_limit; pud++, addr = pud_next)`, pud_limit = pgd_next.
            let pn = arch.pudFolded ? s.pgdNext : addrEnd(s.addr, size: 1 << UInt64(arch.pudShift), s.pgdNext)
            let pl = pmdLimit(pudNext: pn, limit: L)
            let pudCase = c.ite(s.addr.eq(s.pgdNext),
                s2.eq(S(pc: c.bv(pgd, width: 2), addr: s.pgdNext, pgdNext: s.pgdNext, pudNext: s.pudNext, pmdLimit: s.pmdLimit)),
                c.ite(pudNone,
                      s2.eq(S(pc: c.bv(pud, width: 2), addr: pn, pgdNext: s.pgdNext, pudNext: pn, pmdLimit: s.pmdLimit)),
                      s2.eq(S(pc: c.bv(pmd, width: 2), addr: s.addr, pgdNext: s.pgdNext, pudNext: pn, pmdLimit: pl))))
            // PMD loop: `for (; addr != pmd_limit; pmd++) { addr += PAGE_SIZE * PTRS_PER_PTE;
            //   if ((pmd_limit-1) < (addr-1)) { addr = pmd_limit; break; } ... }` then `addr = pud_next`.
            let (next, breaks) = pmdStep(s)
            let leave = s2.eq(S(pc: c.bv(pud, width: 2), addr: s.pudNext, pgdNext: s.pgdNext, pudNext: s.pudNext, pmdLimit: s.pmdLimit))
            let pmdCase = c.ite(s.addr.eq(s.pmdLimit) || breaks, leave,
                s2.eq(S(pc: c.bv(pmd, width: 2), addr: next, pgdNext: s.pgdNext, pudNext: s.pudNext, pmdLimit: s.pmdLimit)))
            let doneCase = s2.eq(s)
            return c.ite(s.pc.eq(pgd), pgdCase, c.ite(s.pc.eq(pud), pudCase, c.ite(s.pc.eq(pmd), pmdCase, doneCase)))
        }

        func aligned(_ x: Expr, _ size: UInt64) -> Expr { (x & (size - 1)).eq(0) }

        /// The seed's guard and the ranges: `BUG_ON(limit > FIXADDR_TOP)`, page alignment,
        /// `FIXADDR_TOP` below the top of the address space, and (except in the twin) `limit != 0`.
        var hypotheses: Expr {
            var h = aligned(F, arch.pageSize) && F.ne(0) && F.ule(arch.fixaddrTopMax)
                && aligned(L, arch.pageSize) && L.ule(F)
            if variant != .allowLimitZero { h = h && L.ne(0) }
            return h
        }

        /// The secondary termination measure for steps that hand over between loop
        /// levels without moving `addr` (PMD->PUD->PGD->PUD->PMD).
        func rank(_ s: S) -> Expr {
            let c = ctx
            func r(_ v: UInt64) -> Expr { c.bv(v, width: 3) }
            return c.ite(s.pc.eq(pmd), c.ite(s.addr.eq(s.pudNext), r(5), r(1)),
                   c.ite(s.pc.eq(pud), c.ite(s.addr.eq(s.pgdNext), r(4), r(2)),
                   c.ite(s.pc.eq(pgd), r(3), r(0))))
        }

        /// The inductive invariant, as named conjuncts.
        func invariant(_ s: S) -> [(String, Expr)] {
            let pgdSize: UInt64 = 1 << UInt64(arch.pgdirShift), pudSize: UInt64 = 1 << UInt64(arch.pudShift)
            let inLoop = s.pc.eq(pud) || s.pc.eq(pmd)
            return [
                ("addr-le-fixaddr-top", s.addr.ule(F)),
                ("done-at-fixaddr-top", s.pc.eq(done) ==> s.addr.eq(F)),
                ("pgd-head-aligned", s.pc.eq(pgd) ==> (aligned(s.addr, pgdSize) || s.addr.eq(F))),
                ("pgd-next-bounds", inLoop ==> (s.addr.ule(s.pgdNext) && s.pgdNext.ule(F)
                                               && (aligned(s.pgdNext, pgdSize) || s.pgdNext.eq(F)))),
                ("pud-head-aligned", s.pc.eq(pud) ==> (aligned(s.addr, pudSize) || s.addr.eq(s.pgdNext))),
                ("pud-next-bounds", s.pc.eq(pmd) ==> (s.addr.ule(s.pudNext) && s.pudNext.ule(s.pgdNext)
                                                     && (aligned(s.pudNext, pudSize) || s.pudNext.eq(s.pgdNext)))),
                ("pmd-addr-aligned", s.pc.eq(pmd) ==> aligned(s.addr, arch.pmdSpan)),
                ("pmd-limit-definition", s.pc.eq(pmd) ==> s.pmdLimit.eq(pmdLimit(pudNext: s.pudNext, limit: L))),
                ("pmd-addr-within-limit", s.pc.eq(pmd) ==> (s.addr.ule(s.pmdLimit) || L.ult(s.addr))),
            ]
        }
    }

    static func goals(_ ctx: Context, _ arch: Arch, variant: Variant = .seed) -> [Goal] {
        let w = arch.longBits
        let inst = Instance(ctx: ctx, arch: arch, variant: variant,
                            F: ctx.bv("FIXADDR_TOP", width: w), L: ctx.bv("limit", width: w))
        let H = inst.hypotheses
        let s = S.fresh(ctx, w, ""), s2 = S.fresh(ctx, w, "_next")   // no quote: SMT-LIB symbols cannot hold one
        let pgdNone = ctx.bool("pgd_none"), pudNone = ctx.bool("pud_none"), pmdNone = ctx.bool("pmd_none")
        let T = inst.step(s, s2, pgdNone: pgdNone, pudNone: pudNone)
        let inv = inst.invariant(s)
        let Inv = ctx.and(inv.map(\.1))
        let n = arch.name
        let show: [(String, Expr)] = [("FIXADDR_TOP", inst.F), ("limit", inst.L), ("pc", s.pc), ("addr", s.addr),
                                      ("pgd_next", s.pgdNext), ("pud_next", s.pudNext), ("pmd_limit", s.pmdLimit)]
        var goals: [Goal] = []
        // Initially: pc = PGD, addr = 0.
        let s0 = S(pc: ctx.bv(pgd, width: 2), addr: ctx.bv(0, width: w), pgdNext: s.pgdNext, pudNext: s.pudNext, pmdLimit: s.pmdLimit)
        let init0 = inst.invariant(s0)
        goals.append(Goal("\(n)/invariant-initially", H ==> ctx.and(init0.map(\.1)), show: show))
        // Preserved, conjunct by conjunct (a failure names the conjunct).
        for (name, c) in inst.invariant(s2) {
            goals.append(Goal("\(n)/invariant-preserved/\(name)", (H && Inv && T) ==> c, show: show))
        }
        // No PTE page at or above the limit reaches the callback: the page covers
        // [addr, addr + PAGE_SIZE*PTRS_PER_PTE), computed without wrap.
        let wide = w + 1
        let end = s.addr.zeroExtend(to: wide) + arch.pmdSpan
        goals.append(Goal("\(n)/pte-pages-below-limit",
                          (H && Inv && inst.emits(s, pmdNone: pmdNone)) ==> end.ule(inst.L.zeroExtend(to: wide)), show: show))
        // addr never goes back (no wrap): slots are visited in increasing order, each at most once.
        goals.append(Goal("\(n)/addr-monotonic", (H && Inv && T) ==> s2.addr.uge(s.addr), show: show))
        goals.append(Goal("\(n)/pte-slot-advances",
                          (H && Inv && T && inst.emits(s, pmdNone: pmdNone)) ==> s2.addr.ugt(s.addr), show: show))
        goals.append(Goal("\(n)/pud-slot-advances",
                          (H && Inv && T && s.pc.eq(pud) && s2.pc.eq(pmd)) ==> s2.pudNext.ugt(s.addr), show: show))
        goals.append(Goal("\(n)/pgd-slot-advances",
                          (H && Inv && T && s.pc.eq(pgd) && s2.pc.eq(pud)) ==> s2.pgdNext.ugt(s.addr), show: show))
        goals.append(Goal("\(n)/pmd-exit-to-pud-next",
                          (H && Inv && T && s.pc.eq(pmd) && s2.pc.eq(pud)) ==> s2.addr.eq(s.pudNext), show: show))
        // Ends exactly at FIXADDR_TOP.
        goals.append(Goal("\(n)/ends-at-fixaddr-top",
                          (H && Inv && T && s.pc.ne(done) && s2.pc.eq(done)) ==> s.addr.eq(inst.F), show: show))
        // Termination: every step raises addr, finishes, or lowers the rank while keeping addr.
        // With addr <= FIXADDR_TOP (invariant) and addr never falling, the walk ends.
        goals.append(Goal("\(n)/rank-decreases",
                          (H && Inv && T && s.pc.ne(done)) ==> (s2.addr.ugt(s.addr) || s2.pc.eq(done)
                                                                 || (s2.addr.eq(s.addr) && inst.rank(s2).ult(inst.rank(s)))),
                          show: show))
        return goals
    }
}

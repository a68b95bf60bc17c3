import MMUSpec
import SMT

/// `pte-roundtrip`: the seed's `pte_pfn_to_mfn` / `pte_mfn_to_pfn` at real widths.
///
/// The p2m and m2p tables are uninterpreted functions: the proof holds for
/// every table pair that is inverse on the frame concerned. Machine frames are
/// assumed to fit `__PHYSICAL_MASK` (an mfn Xen hands out always does); the
/// twin `pte-roundtrip-twin-unbounded-mfn` shows that assumption is needed on x86-64.
enum PTEConversion {
    static let present = X86PTE.present

    /// The seed's conversion (`pte_pfn_to_mfn` when `table` is p2m, `pte_mfn_to_pfn` when m2p).
    static func convert(_ val: Expr, _ arch: Arch, table: Function, checkPresent: Bool = true) -> Expr {
        convert(val, arch, lookup: { table($0) }, checkPresent: checkPresent)
    }

    /// The same with any table (`lookup` from frame to frame, at `arch.longBits`): a concrete
    /// one lets the agreement tests evaluate the transcription on values.
    static func convert(_ val: Expr, _ arch: Arch, lookup table: (Expr) -> Expr, checkPresent: Bool = true) -> Expr {
        let frameBits = (val & arch.pteMask) >> UInt64(arch.pageShift)           // pteval_t
        let frame = arch.longBits < 64 ? frameBits.extract(arch.longBits - 1, 0) : frameBits // unsigned long
        let flags = val & ~arch.pteMask
        let converted = (table(frame).zeroExtend(to: arch.pteBits) << UInt64(arch.pageShift)) | flags
        if !checkPresent { return converted }
        return val.context.ite((val & present).ne(0), converted, val)
    }

    static func frameOf(_ val: Expr, _ arch: Arch) -> Expr {
        let bits = (val & arch.pteMask) >> UInt64(arch.pageShift)
        return arch.longBits < 64 ? bits.extract(arch.longBits - 1, 0) : bits
    }

    static func goals(_ ctx: Context, _ arch: Arch, checkPresent: Bool = true, boundMfns: Bool = true) -> [Goal] {
        let p2m = Function(ctx, name: "p2m", domainWidth: arch.longBits, rangeWidth: arch.longBits)
        let m2p = Function(ctx, name: "m2p", domainWidth: arch.longBits, rangeWidth: arch.longBits)
        let v = ctx.bv("pte", width: arch.pteBits)
        let maxFrame = UInt64(1) << UInt64(arch.physicalMaskShift - arch.pageShift)
        /// A frame number that fits `__PHYSICAL_MASK` once shifted (every real mfn and pfn does;
        /// `INVALID_P2M_ENTRY` = ~0 does not on x86-64).
        func fits(_ x: Expr) -> Expr { boundMfns ? x.zeroExtend(to: 64).ult(ctx.bv(maxFrame, width: 64)) : ctx.bool(true) }
        // pfn -> mfn -> pfn
        let pfn = frameOf(v, arch)
        let inverseOnPfn = m2p(p2m(pfn)).eq(pfn) && fits(p2m(pfn))
        let toMachine = convert(v, arch, table: p2m, checkPresent: checkPresent)
        let back = convert(toMachine, arch, table: m2p, checkPresent: checkPresent)
        // mfn -> pfn -> mfn
        let mfn = frameOf(v, arch)
        let inverseOnMfn = p2m(m2p(mfn)).eq(mfn) && fits(m2p(mfn))
        let toPhys = convert(v, arch, table: m2p, checkPresent: checkPresent)
        let backM = convert(toPhys, arch, table: p2m, checkPresent: checkPresent)
        let tablesFit = fits(p2m(pfn)) && fits(m2p(mfn))
        let isPresent = (v & present).ne(0)
        let n = arch.name
        let show: [(String, Expr)] = [("pte", v), ("pte_pfn_to_mfn(pte)", toMachine),
                                      ("pte_mfn_to_pfn(pte_pfn_to_mfn(pte))", back)]
        return [
            Goal("\(n)/pfn-mfn-pfn", (isPresent && inverseOnPfn) ==> back.eq(v), show: show),
            Goal("\(n)/mfn-pfn-mfn", (isPresent && inverseOnMfn) ==> backM.eq(v),
                 show: [("pte", v), ("pte_mfn_to_pfn(pte)", toPhys)]),
            Goal("\(n)/non-present-untouched", !isPresent ==> (toMachine.eq(v) && toPhys.eq(v)), show: show),
            Goal("\(n)/flags-unchanged", tablesFit ==>
                 ((toMachine & ~arch.pteMask).eq(v & ~arch.pteMask) && (toPhys & ~arch.pteMask).eq(v & ~arch.pteMask)),
                 show: show),
        ]
    }
}

/// `p2m-index`: the seed's two-level p2m indexing (`p2m_top_index`, `p2m_index`).
enum P2MIndex {
    /// `guardInclusive` models the off-by-one twin `BUG_ON(pfn > MAX_DOMAIN_PAGES)`.
    static func goals(_ ctx: Context, _ arch: Arch, guardInclusive: Bool = false) -> [Goal] {
        let w = arch.longBits
        let per = arch.p2mEntriesPerPage, top = arch.topEntries, maxPages = arch.maxDomainPages
        let p = ctx.bv("pfn", width: w), q = ctx.bv("pfn2", width: w)
        func inRange(_ x: Expr) -> Expr { guardInclusive ? x.ule(maxPages) : x.ult(maxPages) }
        func topIndex(_ x: Expr) -> Expr { x.udiv(per) }
        func index(_ x: Expr) -> Expr { x.urem(per) }
        let n = arch.name
        let show: [(String, Expr)] = [("pfn", p), ("p2m_top_index(pfn)", topIndex(p)), ("p2m_index(pfn)", index(p))]
        return [
            Goal("\(n)/top-index-in-range", inRange(p) ==> topIndex(p).ult(top), show: show),
            Goal("\(n)/index-in-range", inRange(p) ==> index(p).ult(per), show: show),
            Goal("\(n)/recombines", inRange(p) ==> (topIndex(p) * per + index(p)).eq(p), show: show),
            Goal("\(n)/distinct-slots",
                 (inRange(p) && inRange(q) && p.ne(q)) ==> (topIndex(p).ne(topIndex(q)) || index(p).ne(index(q))),
                 show: show + [("pfn2", q)]),
        ]
    }
}

/// `preserve-ad`: `MMU_PT_UPDATE_PRESERVE_AD` as Xen's `update_intpte` writes it:
/// `new | (old & (_PAGE_ACCESSED | _PAGE_DIRTY))`.
enum PreserveAD {
    static let accessed = X86PTE.accessed
    /// The bits the model's `MMU_PT_UPDATE_PRESERVE_AD` keeps (`PTE.preservingAD`): the goals'
    /// `keep` by default, so the proof is about the mask both engines use.
    static let ad = X86PTE.accessedDirty

    static func goals(_ ctx: Context, keep: UInt64 = ad) -> [Goal] {
        let old = ctx.bv("old", width: 64), new = ctx.bv("new", width: 64)
        let written = new | (old & keep)
        let show: [(String, Expr)] = [("old", old), ("new", new), ("written", written)]
        return [
            Goal("keeps-old-accessed-dirty", ((old & ad) & ~written).eq(0), show: show),
            Goal("writes-new-elsewhere", (written & ~ad).eq(new & ~ad), show: show),
            Goal("adds-no-other-ad", (written & ad).eq((old | new) & ad), show: show),
        ]
    }
}

/// `fast-path-whitelist`: which flag changes may skip re-validation.
enum FastPath {
    // x86 pte bits, from the one definition the engines use (`X86PTE`).
    static let present = X86PTE.present, rw = X86PTE.rw
    /// Today's Xen whitelist (`FASTPATH_FLAG_WHITELIST`): NX, AVAIL, GLOBAL, D, A, USER; the
    /// model's `PTEFlags.fastPathWhitelist` is this mask on the model's bits.
    static let whitelist = X86PTE.fastPathWhitelist

    /// The safety goals for a fast-path rule `skip(old, new)`. Only a present old entry
    /// matters: a non-present one takes no reference, so any change of it is harmless.
    static func goals(_ ctx: Context, _ arch: Arch, skip: (Expr, Expr) -> Expr) -> [Goal] {
        let old = ctx.bv("old", width: 64), new = ctx.bv("new", width: 64)
        let s = skip(old, new) && (old & present).ne(0)
        let show: [(String, Expr)] = [("old", old), ("new", new)]
        return [
            Goal("cannot-add-rw", s ==> !((old & rw).eq(0) && (new & rw).ne(0)), show: show),
            Goal("same-frame", s ==> (old & arch.pteMask).eq(new & arch.pteMask), show: show),
            Goal("same-present", s ==> (old & present).eq(new & present), show: show),
        ]
    }

    /// Today's rule: only whitelisted bits differ.
    static func whitelistRule(_ old: Expr, _ new: Expr) -> Expr { ((old ^ new) & ~whitelist).eq(0) }

    /// Old Xen's rule (XSA-148 / XSA-182): skip whenever the frame and PRESENT are unchanged.
    static func oldRule(_ arch: Arch) -> (Expr, Expr) -> Expr {
        { old, new in ((old ^ new) & (arch.pteMask | present)).eq(0) }
    }
}

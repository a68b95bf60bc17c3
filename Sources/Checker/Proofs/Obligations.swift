import SMT

/// Every proof obligation `mmucheck prove` knows, by stable name.
///
/// Each obligation comes with known-false twins (`-twin-` in the name) that
/// must be refuted: they show the encoding can fail, so a "proved" means something.
public enum Obligations {
    public static let all: [ProofObligation] = [
        ProofObligation(
            name: "pte-roundtrip",
            summary: "pte_mfn_to_pfn(pte_pfn_to_mfn(v)) == v for present v (both ways), non-present untouched, flags unchanged (PAE and x86-64)",
            goals: { ctx in Arch.all.flatMap { PTEConversion.goals(ctx, $0) } }),
        ProofObligation(
            name: "p2m-index",
            summary: "p2m_top_index / p2m_index stay in range, recombine to pfn and give distinct slots for every pfn < MAX_DOMAIN_PAGES",
            goals: { ctx in Arch.all.flatMap { P2MIndex.goals(ctx, $0) } }),
        ProofObligation(
            name: "walk-limit",
            summary: "pgd_walk ends exactly at FIXADDR_TOP, visits each slot once and never hands a PTE page at or above its limit to the callback (any FIXADDR_TOP, any 0 < limit <= FIXADDR_TOP)",
            goals: { ctx in Arch.all.flatMap { WalkLimit.goals(ctx, $0) } }),
        ProofObligation(
            name: "preserve-ad",
            summary: "MMU_PT_UPDATE_PRESERVE_AD keeps the old Accessed/Dirty bits and otherwise writes exactly the new value",
            goals: { ctx in PreserveAD.goals(ctx) }),
        ProofObligation(
            name: "fast-path-whitelist",
            summary: "a change of whitelisted bits only (NX, AVAIL, GLOBAL, D, A, USER) cannot add RW, change the frame or flip PRESENT",
            goals: { ctx in Arch.all.flatMap { FastPath.goals(ctx, $0, skip: FastPath.whitelistRule) } }),
    ]

    /// Obligations expected to be refuted: each twin of the above, and the XSA-182 rule.
    public static let twins: [ProofObligation] = [
        ProofObligation(
            name: "pte-roundtrip-twin-no-present-check", summary: "conversion without the _PAGE_PRESENT test",
            expectation: .refuted,
            goals: { ctx in PTEConversion.goals(ctx, .pae, checkPresent: false).filter { $0.name.hasSuffix("non-present-untouched") } }),
        ProofObligation(
            name: "pte-roundtrip-twin-unbounded-mfn",
            summary: "x86-64 without assuming frames fit __PHYSICAL_MASK: INVALID_P2M_ENTRY (~0) shifted into a pte sets NX and high bits",
            expectation: .refuted,
            goals: { ctx in PTEConversion.goals(ctx, .x86_64, boundMfns: false).filter { $0.name.hasSuffix("flags-unchanged") } }),
        ProofObligation(
            name: "p2m-index-twin-off-by-one", summary: "guard written BUG_ON(pfn > MAX_DOMAIN_PAGES)",
            expectation: .refuted,
            goals: { ctx in P2MIndex.goals(ctx, .pae, guardInclusive: true).filter { $0.name.hasSuffix("top-index-in-range") } }),
        ProofObligation(
            name: "walk-limit-twin-limit-zero", summary: "only BUG_ON(limit > FIXADDR_TOP): limit 0 wraps pmd_limit-1",
            expectation: .refuted,
            goals: { ctx in WalkLimit.goals(ctx, .pae, variant: .allowLimitZero).filter { $0.name.hasSuffix("pte-pages-below-limit") } }),
        ProofObligation(
            name: "walk-limit-twin-no-minus-one", summary: "break test written pmd_limit < addr: wrong where addr wraps to 0",
            expectation: .refuted,
            goals: { ctx in WalkLimit.goals(ctx, .pae, variant: .breakWithoutMinusOne).filter { $0.name.hasSuffix("pte-pages-below-limit") } }),
        ProofObligation(
            name: "preserve-ad-twin-drops-dirty", summary: "update keeps only the old Accessed bit",
            expectation: .refuted,
            goals: { ctx in PreserveAD.goals(ctx, keep: PreserveAD.accessed).filter { $0.name == "keeps-old-accessed-dirty" } }),
        ProofObligation(
            name: "fast-path-xsa-182", summary: "old Xen's rule: fast path whenever frame and PRESENT are unchanged (XSA-148/182) lets RW be added",
            expectation: .refuted,
            goals: { ctx in FastPath.goals(ctx, .x86_64, skip: FastPath.oldRule(.x86_64)).filter { $0.name == "cannot-add-rw" } }),
        ProofObligation(
            name: "fast-path-whitelist-twin-with-rw", summary: "a whitelist that also names RW",
            expectation: .refuted,
            goals: { ctx in FastPath.goals(ctx, .x86_64, skip: { o, n in ((o ^ n) & ~(FastPath.whitelist | FastPath.rw)).eq(0) })
                .filter { $0.name == "cannot-add-rw" } }),
    ]

    public static var everything: [ProofObligation] { all + twins }

    public static func named(_ name: String) -> ProofObligation? { everything.first { $0.name == name } }
}

import Testing
@testable import Checker
import MMUSpec
import SMT

/// The prover's transcriptions of the seed's arithmetic are held to the model's own functions
/// (issue #11, item 8): evaluated on concrete values with Z3's simplifier, they must give
/// exactly what the model computes, on every input at the model's sizes and on random
/// full-width values. A change to the model's `pgd_walk` arithmetic or pte conversion that
/// the proofs do not share fails here; each test has a wrong twin that must disagree.
@Suite struct WalkLimitAgreementTests {
    /// The model's walk geometry as an `Arch` (64-bit `unsigned long`, as the model computes):
    /// 4 KiB pages, 4 entries a table, 3 levels (PUD folded): a PTE page spans 16 KiB.
    static let modelArch = Arch(name: "model", longBits: 64, pteBits: 64, pageShift: 12, physicalMaskShift: 52,
                                pgdirShift: 16, pudShift: 16, pmdShift: 14, maxDomainMemoryGiB: 1,
                                fixaddrTopMax: 0xFFFF_FFFF_FFFF_F000)

    typealias PmdStep = (_ addr: UInt64, _ pmdLimit: UInt64, _ span: UInt64) -> (addr: UInt64, breaks: Bool)

    /// Inputs: every page-aligned address of the model's 64-page space (zero and the top
    /// included), the values next to 2^64, and random 64-bit values.
    static func inputs() -> [UInt64] {
        var xs = (0...64).map { UInt64($0) << 12 }
        xs += [UInt64.max, UInt64.max - 0xFFF, UInt64.max &- (1 << 14) &+ 1, 1 << 63, (1 << 63) - (1 << 12)]
        var rng = SplitMix64(seed: 99)
        for _ in 0..<60 { xs.append(rng.next()); xs.append(rng.next() & ~0xFFF) }
        return xs
    }

    /// Where the prover's walk arithmetic and the given model functions differ (nil: nowhere).
    static func disagreement(pmdStep model: PmdStep = { a, l, s in PgdWalkArithmetic.pmdStep(addr: a, pmdLimit: l, span: s) })
        -> String? {
        let ctx = Context()
        let arch = modelArch
        let inst = WalkLimit.Instance(ctx: ctx, arch: arch, variant: .seed, F: ctx.bv(0, width: 64), L: ctx.bv(0, width: 64))
        func c(_ x: UInt64) -> Expr { ctx.bv(x, width: 64) }
        let xs = inputs()
        for addr in xs {
            for other in xs {
                // pgd_addr_end / pud_addr_end at both sizes.
                for size in [UInt64(1) << UInt64(arch.pgdirShift), arch.pmdSpan] {
                    let p = inst.addrEnd(c(addr), size: size, c(other)).evaluatedNumeral
                    let m = PgdWalkArithmetic.addrEnd(addr, other, size: size)
                    if p != m { return "addrEnd(\(addr), \(other), size \(size)): prover \(String(describing: p)), model \(m)" }
                }
                // pmd_limit.
                let pl = inst.pmdLimit(pudNext: c(addr), limit: c(other)).evaluatedNumeral
                if pl != PgdWalkArithmetic.pmdLimit(pudNext: addr, limit: other) { return "pmdLimit(\(addr), \(other))" }
                // The PMD loop's step and break test.
                let s = WalkLimit.S(pc: ctx.bv(WalkLimit.pmd, width: 2), addr: c(addr), pgdNext: c(0), pudNext: c(0), pmdLimit: c(other))
                let (next, breaks) = inst.pmdStep(s)
                let m = model(addr, other, arch.pmdSpan)
                guard let pb = breaks.evaluatedBool, let pn = next.evaluatedNumeral else { return "prover's pmdStep is not constant" }
                if pb != m.breaks || (!pb && pn != m.addr) || (pb && m.addr != other) {
                    return "pmdStep(addr \(addr), pmd_limit \(other)): prover breaks \(pb) next \(pn), model breaks \(m.breaks) addr \(m.addr)"
                }
            }
        }
        return nil
    }

    @Test func theProversWalkArithmeticIsTheModels() {
        #expect(Self.disagreement() == nil)
    }

    /// Twin: the model's break test written `pmd_limit < addr` (the `- 1` dropped) disagrees
    /// (with limit 0, and at the top of the address space), so the test can fail.
    @Test func aModelBreakWithoutMinusOneDisagrees() {
        let wrong: PmdStep = { addr, limit, span in
            let next = addr &+ span
            return limit < next ? (limit, true) : (next, false)
        }
        #expect(Self.disagreement(pmdStep: wrong) != nil)
    }
}

@Suite struct PTEConversionAgreementTests {
    typealias Convert = (_ val: PTE, _ lookup: (Int) -> Int) -> PTE

    /// Every model flag set (2^9).
    static let flagSets: [PTEFlags] = ProverConstantsTests.flagSets

    /// A table both sides can compute: frame XOR `key` (a bijection, so also its own inverse).
    static func disagreement(_ arch: Arch, convert model: Convert = { P2M.convert($0, through: $1) }) -> String? {
        let ctx = Context()
        let frameBits = UInt64(arch.physicalMaskShift - arch.pageShift)
        var rng = SplitMix64(seed: 5)
        // Frames: every one at the model's sizes, then random ones that fit the pte's frame field
        // (and `unsigned long`); the key keeps the table's values in range too.
        var cases: [(frame: UInt64, key: UInt64)] = (0..<16).flatMap { (f: Int) -> [(frame: UInt64, key: UInt64)] in [(UInt64(f), 0), (UInt64(f), 5)] }
        let limit = min(frameBits, UInt64(arch.longBits))
        let mask: UInt64 = limit >= 64 ? .max : (1 << limit) - 1
        for _ in 0..<100 { cases.append((rng.next() & mask, rng.next() & mask)) }
        for (frame, key) in cases {
            for flags in flagSets {
                let pte = PTE(frame: Int(frame), flags: flags)
                let x86 = (frame << UInt64(arch.pageShift)) | flags.x86
                let keyExpr = ctx.bv(key, width: arch.longBits)
                let p = PTEConversion.convert(ctx.bv(x86, width: arch.pteBits), arch, lookup: { $0 ^ keyExpr }).evaluatedNumeral
                let m = model(pte) { Int(UInt64($0) ^ key) }
                let mx = (UInt64(m.frame) << UInt64(arch.pageShift)) | m.flags.x86
                if p != mx { return "\(arch.name): \(pte) through frame ^ \(key): prover \(String(describing: p)), model \(m)" }
            }
        }
        return nil
    }

    @Test(arguments: Arch.all.map(\.name))
    func theProversConversionIsTheModels(_ name: String) {
        let arch = Arch.all.first { $0.name == name }!
        #expect(Self.disagreement(arch) == nil)
    }

    /// Twin: a model conversion without the present check (a swap entry's number converted)
    /// disagrees, so the test can fail.
    @Test func aModelConversionWithoutThePresentCheckDisagrees() {
        #expect(Self.disagreement(.pae, convert: { val, lookup in PTE(frame: lookup(val.frame), flags: val.flags) }) != nil)
    }
}

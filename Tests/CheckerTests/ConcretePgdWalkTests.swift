import Testing

/// A direct transcription of the seed's `pgd_walk` loops (PAE: 32-bit
/// `unsigned long`, PGDIR 1 GiB, PUD folded, PMD 2 MiB), run concretely with
/// 32-bit wrap-around. It cross-checks what the `walk-limit` proof (and its
/// `walk-limit-twin-limit-zero` refutation) say about the real code.
struct ConcretePAEWalk {
    static let pgdirSize: UInt32 = 1 << 30, pmdSpan: UInt32 = 1 << 21

    /// The start addresses of the PTE pages handed to the callback, and the final addr.
    static func run(fixaddrTop: UInt32, limit: UInt32) -> (ptePages: [UInt32], end: UInt32) {
        func pgdAddrEnd(_ addr: UInt32, _ end: UInt32) -> UInt32 {
            let boundary = (addr &+ pgdirSize) & ~(pgdirSize &- 1)
            return (boundary &- 1) < (end &- 1) ? boundary : end
        }
        var pages: [UInt32] = []
        var addr: UInt32 = 0
        var steps = 0
        while addr != fixaddrTop {                         // for (; addr != FIXADDR_TOP; pgd++, addr = pgd_next)
            let pgdNext = pgdAddrEnd(addr, fixaddrTop)
            let pudLimit = pgdNext
            while addr != pudLimit {                       // for (; addr != pud_limit; pud++, addr = pud_next)
                let pudNext = pudLimit                     // pud_addr_end (folded) = end
                let pmdLimit = pudNext < limit ? pudNext : limit
                while addr != pmdLimit {                   // for (; addr != pmd_limit; pmd++)
                    let start = addr
                    addr &+= pmdSpan
                    if (pmdLimit &- 1) < (addr &- 1) { addr = pmdLimit; break }
                    pages.append(start)                    // func(pmd_page(*pmd), PT_PTE)
                    steps += 1
                    precondition(steps < 10_000, "walk did not terminate")
                }
                addr = pudNext
            }
            addr = pgdNext
        }
        return (pages, addr)
    }
}

@Suite struct ConcretePgdWalkTests {
    @Test(arguments: [(UInt32(0xF580_0000), UInt32(0xC000_0000)), (0xF580_0000, 0xF580_0000),
                      (0xFFFF_F000, 0xFFFF_F000), (0xFFFF_F000, 0x1000), (0x4000_1000, 0x4000_1000),
                      (0x0020_0000, 0x0020_0000), (0xC000_0000, 0x1234_5000)])
    func pinsOnlyWholePTEPagesBelowTheLimit(_ fixaddrTop: UInt32, _ limit: UInt32) {
        let r = ConcretePAEWalk.run(fixaddrTop: fixaddrTop, limit: limit)
        #expect(r.end == fixaddrTop)
        #expect(Set(r.ptePages).count == r.ptePages.count, "a slot visited twice")
        for p in r.ptePages { #expect(UInt64(p) + UInt64(ConcretePAEWalk.pmdSpan) <= UInt64(limit)) }
        // Every whole PTE page below the limit is visited.
        #expect(r.ptePages.count == Int(limit / ConcretePAEWalk.pmdSpan))
    }

    /// What `walk-limit-twin-limit-zero` finds symbolically, seen concretely: with
    /// limit 0, `pmd_limit - 1` wraps and the walk hands every PTE page from the
    /// second PGD slot up to 4 GiB (Xen's area above FIXADDR_TOP included) to the callback.
    @Test func limitZeroPinsPTEPagesAboveFixaddrTop() {
        let r = ConcretePAEWalk.run(fixaddrTop: 0xF580_0000, limit: 0)
        #expect(r.end == 0xF580_0000)
        #expect(r.ptePages.first == 0x4000_0000)
        #expect(r.ptePages.contains { $0 >= 0xF580_0000 })
        #expect(r.ptePages.last == 0xFFE0_0000)
    }
}

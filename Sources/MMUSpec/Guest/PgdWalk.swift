/// `pgd_walk`: the seed's page-table walker for pinning and unpinning.
///
/// It calls `func` on every page making up the table, at every level, but on PTE pages only
/// when the whole range the PTE page maps lies below `limit` (`TASK_SIZE` for a process,
/// `FIXADDR_TOP` at boot): above `FIXADDR_TOP` are Xen's own mappings, which the guest must
/// never pin. The code below is the seed's, loop for loop, with byte addresses:
///
///     for (; addr != FIXADDR_TOP; pgd++, addr = pgd_next) {
///         pgd_next = pud_limit = pgd_addr_end(addr, FIXADDR_TOP);
///         if (!pgd_val(*pgd)) continue;
///         pud = pud_offset(pgd, 0);
///         if (PTRS_PER_PUD > 1) flush |= (*func)(virt_to_page(pud), PT_PUD);
///         for (; addr != pud_limit; pud++, addr = pud_next) {
///             pud_next = pud_addr_end(addr, pud_limit);
///             pmd_limit = pud_next < limit ? pud_next : limit;
///             if (pud_none(*pud)) continue;
///             pmd = pmd_offset(pud, 0);
///             if (PTRS_PER_PMD > 1) flush |= (*func)(virt_to_page(pmd), PT_PMD);
///             for (; addr != pmd_limit; pmd++) {
///                 addr += (PAGE_SIZE * PTRS_PER_PTE);
///                 if ((pmd_limit-1) < (addr-1)) { addr = pmd_limit; break; }
///                 if (pmd_none(*pmd)) continue;
///                 flush |= (*func)(pmd_page(*pmd), PT_PTE);
///             }
///         }
///     }
///     flush |= (*func)(virt_to_page(pgd_base), PT_PGD);
///
/// Folding as in the seed: with 3 levels (PAE) the pud is the pgd entry itself
/// (`pud_offset(pgd, 0) == (pud_t *)pgd`, `pud_addr_end(addr, end) == end`, `PTRS_PER_PUD == 1`);
/// with 2 levels the pmd is folded too. The comparison `(pmd_limit-1) < (addr-1)` is unsigned,
/// as in C.

/// The address arithmetic of `pgd_walk`, on 64-bit `unsigned long` values as the seed computes
/// it (wrap-around included). `GuestState.pgdWalk` walks with these, and the prover's
/// `walk-limit` transcription is held to them on concrete values (`WalkLimitAgreementTests`):
/// a change to either shows as a disagreement.
public enum PgdWalkArithmetic {
    /// `pgd_addr_end` / `pud_addr_end` (unfolded): the next `size` boundary after `addr`, or
    /// `end` if that comes first (`(__boundary - 1 < (end) - 1) ? __boundary : (end)`, unsigned).
    public static func addrEnd(_ addr: UInt64, _ end: UInt64, size: UInt64) -> UInt64 {
        let boundary = (addr &+ size) & ~(size &- 1)
        return boundary &- 1 < end &- 1 ? boundary : end
    }

    /// `pmd_limit = pud_next < limit ? pud_next : limit`.
    public static func pmdLimit(pudNext: UInt64, limit: UInt64) -> UInt64 { pudNext < limit ? pudNext : limit }

    /// One turn of the PMD loop: `addr += PAGE_SIZE * PTRS_PER_PTE;` then
    /// `if ((pmd_limit-1) < (addr-1)) { addr = pmd_limit; break; }` (unsigned): the new `addr`
    /// and whether the loop breaks (then `addr` is `pmd_limit`).
    public static func pmdStep(addr: UInt64, pmdLimit: UInt64, span: UInt64) -> (addr: UInt64, breaks: Bool) {
        let next = addr &+ span
        let breaks = pmdLimit &- 1 < next &- 1
        return (breaks ? pmdLimit : next, breaks)
    }
}

extension GuestState {
    /// `pgd_addr_end` / `pud_addr_end` on the model's addresses (`PgdWalkArithmetic.addrEnd`).
    func addrEnd(_ addr: Int, _ end: Int, size: Int) -> Int {
        Int(bitPattern: UInt(PgdWalkArithmetic.addrEnd(GuestState.word(addr), GuestState.word(end), size: GuestState.word(size))))
    }

    /// C's unsigned `a < b` on `unsigned long` values.
    func unsignedLess(_ a: Int, _ b: Int) -> Bool { UInt(bitPattern: a) < UInt(bitPattern: b) }

    /// Bits of an `Int` address as the seed's `unsigned long`.
    static func word(_ x: Int) -> UInt64 { UInt64(UInt(bitPattern: x)) }

    /// `pgd_walk(pgd_base, func, limit)`: visit every page of the table rooted at `pgdBase`
    /// (a pfn), calling `fn(&state, pfn, level)`; returns the OR of `fn`'s results (`flush`).
    /// `BUG_ON(limit > FIXADDR_TOP)` and reading an entry that names no guest page (the seed
    /// would dereference garbage) are recorded as the seed's BUG. A walk that would step past
    /// the end of a table (the seed would read past the page) is a BUG too. Every walk is
    /// recorded in `walks` (ghost); one that visits a PTE page not wholly below `limit`
    /// records `walkLimitViolation`.
    mutating func pgdWalk(_ pgdBase: Int, limit: Int, _ fn: (inout GuestState, Int, PTLevel) -> Bool) -> Bool {
        let top = config.fixaddrTop
        var record = WalkRecord(pgd: pgdBase, limit: limit, visits: [])
        defer { walks.append(record) }
        if limit > top {
            BUG("pgd_walk: BUG_ON(limit > FIXADDR_TOP): limit \(limit) > \(top)")
            return false
        }
        let n = ptrsPerTable
        var flush = false
        func call(_ s: inout GuestState, _ pfn: Int, _ level: PTLevel, _ start: Int, _ end: Int) {
            record.visits.append(.init(pfn: pfn, level: level, start: start, end: end))
            if level == .pte, s.unsignedLess(limit &- 1, end &- 1) || start >= limit {
                if s.walkLimitViolation == nil {
                    s.walkLimitViolation = "pgd_walk of pgd \(pgdBase) with limit \(limit) visited PTE page \(pfn) covering [\(start), \(end))"
                }
            }
            if fn(&s, pfn, level) { flush = true }
        }
        /// The page an upper entry points at (`virt_to_page(pud)` / `pmd_page(*pmd)`), or a BUG.
        func target(_ s: inout GuestState, _ e: PTE, _ what: String) -> Int? {
            let pfn = s.mfnToPFN(e.frame)
            guard e.isPresent, (0..<s.config.pfns).contains(pfn) else {
                s.BUG("pgd_walk: \(what) entry \(e) names no guest page")
                return nil
            }
            return pfn
        }

        var addr = 0
        var pgdSlot = 0
        while addr != top {
            guard pgdSlot < n, addr < config.addressSpaceSize else {
                BUG("pgd_walk: ran past the end of pgd \(pgdBase) at address \(addr)")
                return flush
            }
            let pgdNext = addrEnd(addr, top, size: pgdirSize)
            let pudLimit = pgdNext
            defer { pgdSlot += 1; addr = pgdNext }
            guard let pgdE = readEntry(pfn: pgdBase, slot: pgdSlot), pgdE != .none else { continue }
            // pud = pud_offset(pgd, 0)
            var pudTable = pgdBase, pudSlot = pgdSlot
            if ptrsPerPUD > 1 {
                guard let p = target(&self, pgdE, "pgd") else { return flush }
                pudTable = p; pudSlot = 0
                call(&self, p, .pud, addr, pudLimit)
            }
            while addr != pudLimit {
                guard pudSlot < n else { BUG("pgd_walk: ran past the end of pud \(pudTable)"); return flush }
                let pudNext = ptrsPerPUD > 1 ? addrEnd(addr, pudLimit, size: pudSize) : pudLimit
                let pmdLimit = Int(bitPattern: UInt(PgdWalkArithmetic.pmdLimit(pudNext: GuestState.word(pudNext), limit: GuestState.word(limit))))
                defer { pudSlot += 1; addr = pudNext }
                guard let pudE = readEntry(pfn: pudTable, slot: pudSlot), pudE != .none else { continue }
                // pmd = pmd_offset(pud, 0)
                var pmdTable = pudTable, pmdSlot = pudSlot
                if ptrsPerPMD > 1 {
                    guard let p = target(&self, pudE, "pud") else { return flush }
                    pmdTable = p; pmdSlot = 0
                    call(&self, p, .pmd, addr, pudNext)
                }
                while addr != pmdLimit {
                    guard pmdSlot < n else { BUG("pgd_walk: ran past the end of pmd \(pmdTable)"); return flush }
                    let start = addr
                    let step = PgdWalkArithmetic.pmdStep(addr: GuestState.word(addr), pmdLimit: GuestState.word(pmdLimit),
                                                         span: GuestState.word(GuestState.pageSize &* n))
                    addr = Int(bitPattern: UInt(step.addr))
                    if step.breaks { break }
                    defer { pmdSlot += 1 }
                    guard let pmdE = readEntry(pfn: pmdTable, slot: pmdSlot), pmdE != .none else { continue }
                    guard let p = target(&self, pmdE, "pmd") else { return flush }
                    call(&self, p, .pte, start, addr)
                }
            }
        }
        call(&self, pgdBase, .pgd, 0, top)
        return flush
    }

    /// The walk as a plain query (no callback effects): the pages `pgd_walk(pgd, func, limit)`
    /// would pass to `func`, in order. Used by tests and by readers of traces.
    public func pgdWalkVisits(pgd: Int, limit: Int) -> (visits: [WalkRecord.Visit], bug: String?) {
        var s = self
        s.bug = nil
        s.walks = []
        _ = s.pgdWalk(pgd, limit: limit) { _, _, _ in false }
        return (s.walks.last?.visits ?? [], s.bug)
    }
}

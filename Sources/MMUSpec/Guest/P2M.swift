/// The guest's physical-to-machine table (the seed's `p2m_top` / `p2m_missing` pages) and the
/// conversions between guest-physical and machine frame numbers.
///
/// The seed keeps the p2m as a two-level table with a shared all-invalid `p2m_missing` page and
/// allocates leaf pages lazily (`alloc_p2m`). That is an optimisation of a plain map: every read
/// of a pfn in a missing page returns `INVALID_P2M_ENTRY`, every write of INVALID into a missing
/// page is dropped. The spec keeps the plain map (`entries[pfn]`), which reads exactly the same.

/// The p2m table: pfn -> mfn for pfns below `MAX_DOMAIN_PAGES`.
public struct P2M: Hashable, Sendable, Codable {
    /// `INVALID_P2M_ENTRY` (`~0UL` in the seed; `~0 == -1` here).
    public static let invalidEntry: Int = ~0

    /// `MAX_DOMAIN_PAGES` (the model's `config.pfns`).
    public let maxDomainPages: Int
    /// pfn -> mfn, `invalidEntry` where the guest has no machine frame.
    public private(set) var entries: [Int]

    /// Every pfn invalid (the state before the domain builder hands out frames).
    public init(maxDomainPages: Int) {
        self.maxDomainPages = max(0, maxDomainPages)
        self.entries = Array(repeating: P2M.invalidEntry, count: self.maxDomainPages)
    }

    /// `get_phys_to_machine(pfn)`: the mfn of `pfn`; `INVALID_P2M_ENTRY` beyond
    /// `MAX_DOMAIN_PAGES` (the seed's `unlikely(pfn >= MAX_DOMAIN_PAGES)` early return) and for
    /// pfns never set (`p2m_missing`). Negative pfns are "beyond" too (the seed's pfn is unsigned).
    public func getPhysToMachine(_ pfn: Int) -> Int {
        guard entries.indices.contains(pfn) else { return P2M.invalidEntry }
        return entries[pfn]
    }

    /// Why `set_phys_to_machine` would BUG, or nil if the store is allowed.
    public enum SetError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
        /// `BUG_ON(mfn != INVALID_P2M_ENTRY)` for `pfn >= MAX_DOMAIN_PAGES`.
        case beyondMaxDomainPages(pfn: Int, mfn: Int)
        public var description: String {
            switch self {
            case .beyondMaxDomainPages(let pfn, let mfn):
                "set_phys_to_machine: BUG_ON(mfn != INVALID_P2M_ENTRY): pfn \(pfn) >= MAX_DOMAIN_PAGES with mfn \(mfn)"
            }
        }
    }

    /// `set_phys_to_machine(pfn, mfn)`: beyond `MAX_DOMAIN_PAGES` only INVALID may be stored
    /// (and is dropped: there is nowhere to store it); anything else there is the seed's BUG
    /// (returned; the table is unchanged). Below, the entry is written (the seed's `alloc_p2m`
    /// of a missing leaf page is invisible in a plain map). nil = done.
    @discardableResult
    public mutating func setPhysToMachine(_ pfn: Int, _ mfn: Int) -> SetError? {
        guard entries.indices.contains(pfn) else {
            return mfn == P2M.invalidEntry ? nil : .beyondMaxDomainPages(pfn: pfn, mfn: mfn)
        }
        entries[pfn] = mfn
        return nil
    }

    /// The seed's `pte_pfn_to_mfn` (`lookup` = the p2m) and `pte_mfn_to_pfn` (`lookup` = the
    /// m2p): a present entry's frame number goes through the table, the flags never change,
    /// a non-present entry (e.g. a swap entry) passes through untouched. The prover's
    /// `pte-roundtrip` transcription is held to this function on concrete values
    /// (`PTEConversionAgreementTests`).
    /// `convertsNonPresent`: the test-only `convert-non-present-entries` (every non-zero entry
    /// converted, as XenLinux's PAE `pte_val` / `__pte` before eee7931c).
    public static func convert(_ val: PTE, through lookup: (Int) -> Int, convertsNonPresent: Bool = false) -> PTE {
        guard val.isPresent || (convertsNonPresent && val != .none) else { return val }
        return PTE(frame: lookup(val.frame), flags: val.flags)
    }

    /// Rename machine frames by `perm` (`perm[old] = new`) in the values (symmetry reduction).
    public func permutingFrames(_ perm: [Int]) -> P2M {
        var out = self
        out.entries = entries.map { m in perm.indices.contains(m) ? perm[m] : m }
        return out
    }
}

extension GuestState {
    /// `pfn_to_mfn(pfn)`: the p2m lookup (`get_phys_to_machine`), INVALID where none.
    public func pfnToMFN(_ pfn: Int) -> Int { p2m.getPhysToMachine(pfn) }

    /// `mfn_to_pfn(mfn)`: a read of Xen's machine-to-physical table (`machine_to_phys_mapping`),
    /// which the guest maps read-only. An mfn with no m2p entry (or outside the machine) reads
    /// INVALID (the seed's `__get_user` on a hole reads garbage; the model picks INVALID).
    public func mfnToPFN(_ mfn: Int) -> Int {
        guard xen.m2p.indices.contains(mfn), let pfn = xen.m2p[mfn] else { return P2M.invalidEntry }
        return pfn
    }

    /// `pte_pfn_to_mfn(val)`: a present entry's frame number is converted pfn -> mfn; the flags
    /// are never changed; a non-present entry (e.g. a swap entry) passes through untouched.
    /// Used by `xen_make_pte` / `xen_make_pmd` / `xen_make_pgd` (building an entry to store).
    public func ptePfnToMFN(_ val: PTE) -> PTE { convertEntry(val, through: pfnToMFN) }

    /// `pte_mfn_to_pfn(val)`: the inverse, used by `xen_pte_val` / `xen_pmd_val` / `xen_pgd_val`
    /// (reading an entry back). Non-present entries pass through untouched.
    public func pteMFNToPfn(_ val: PTE) -> PTE { convertEntry(val, through: mfnToPFN) }

    /// `P2M.convert` under this state's mutations.
    func convertEntry(_ val: PTE, through lookup: (Int) -> Int) -> PTE {
        P2M.convert(val, through: lookup, convertsNonPresent: mutations.contains(.convertNonPresentEntries))
    }

    /// The swap entry the guest writes with `set-pte-at` (`swp_entry_to_pte`): not present, its
    /// number an offset into swap, not a frame, larger than any pfn (as swap offsets usually
    /// are). Linux must store it untranslated.
    public var swapEntry: PTE { PTE(frame: config.pfns + 1, flags: []) }

    /// `get_phys_to_machine` (seed name, for readers matching the seed line by line).
    public func getPhysToMachine(_ pfn: Int) -> Int { p2m.getPhysToMachine(pfn) }
}

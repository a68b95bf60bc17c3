/// The seed's real constants for the two builds the proofs cover.
///
/// PAE (the seed's 32-bit build): 64-bit ptes, 32-bit addresses and longs,
/// 3 levels with the PUD folded. x86-64: 64-bit everything, 4 levels.
public struct Arch: Sendable {
    public let name: String
    /// `BITS_PER_LONG`: width of addresses, pfns and mfns (`unsigned long`).
    public let longBits: Int
    /// Width of `pteval_t`.
    public let pteBits: Int
    public let pageShift: Int
    /// `__PHYSICAL_MASK_SHIFT`: machine addresses fit below `1 << physicalMaskShift`.
    public let physicalMaskShift: Int
    public let pgdirShift: Int
    /// Equal to `pgdirShift` when the PUD is folded.
    public let pudShift: Int
    public let pmdShift: Int
    /// `CONFIG_XEN_MAX_DOMAIN_MEMORY` in GiB (the seed's `MAX_DOMAIN_PAGES`).
    public let maxDomainMemoryGiB: UInt64
    /// Highest `FIXADDR_TOP` (page-aligned, below the top of the address space).
    public let fixaddrTopMax: UInt64

    public var pageSize: UInt64 { 1 << UInt64(pageShift) }
    /// `PTE_MASK`: the frame-number bits of a pte (`PAGE_MASK & __PHYSICAL_MASK`).
    public var pteMask: UInt64 { ((1 << UInt64(physicalMaskShift)) - 1) & ~(pageSize - 1) }
    public var pudFolded: Bool { pudShift == pgdirShift }
    /// `P2M_ENTRIES_PER_PAGE = PAGE_SIZE / sizeof(unsigned long)`.
    public var p2mEntriesPerPage: UInt64 { pageSize / UInt64(longBits / 8) }
    /// `MAX_DOMAIN_PAGES`.
    public var maxDomainPages: UInt64 { maxDomainMemoryGiB * 1024 * 1024 * 1024 / pageSize }
    /// `TOP_ENTRIES = MAX_DOMAIN_PAGES / P2M_ENTRIES_PER_PAGE`.
    public var topEntries: UInt64 { maxDomainPages / p2mEntriesPerPage }
    /// Bytes covered by one PTE page: `PAGE_SIZE * PTRS_PER_PTE`.
    public var pmdSpan: UInt64 { 1 << UInt64(pmdShift) }

    /// Linux 2.6.26 i386 PAE under Xen: `__PHYSICAL_MASK_SHIFT` 44, PGDIR 30, PMD 21,
    /// `CONFIG_XEN_MAX_DOMAIN_MEMORY` 8 GiB.
    public static let pae = Arch(name: "pae", longBits: 32, pteBits: 64, pageShift: 12,
                                 physicalMaskShift: 44, pgdirShift: 30, pudShift: 30, pmdShift: 21,
                                 maxDomainMemoryGiB: 8, fixaddrTopMax: 0xFFFF_F000)
    /// x86-64: `__PHYSICAL_MASK_SHIFT` 46, PGDIR 39, PUD 30, PMD 21, 48-bit canonical
    /// addresses, `CONFIG_XEN_MAX_DOMAIN_MEMORY` 32 GiB. The walk is checked over the
    /// full 64-bit unsigned long, as the seed's arithmetic is written.
    public static let x86_64 = Arch(name: "x86-64", longBits: 64, pteBits: 64, pageShift: 12,
                                    physicalMaskShift: 46, pgdirShift: 39, pudShift: 30, pmdShift: 21,
                                    maxDomainMemoryGiB: 32, fixaddrTopMax: 0xFFFF_FFFF_FFFF_F000)

    public static let all: [Arch] = [.pae, .x86_64]
}

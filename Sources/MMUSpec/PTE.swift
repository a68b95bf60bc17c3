/// Flag bits of a page-table entry, with the x86 names the seed and Xen use.
///
/// Bit positions follow x86 (`_PAGE_PRESENT` is bit 0, `_PAGE_RW` bit 1, ...)
/// so that a model entry and a real `pteval_t` agree bit for bit below bit 12;
/// NX is kept in bit 15 of this small set (bit 63 in a real 64-bit pte).
public struct PTEFlags: OptionSet, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let present  = PTEFlags(rawValue: 1 << 0)   // _PAGE_PRESENT
    public static let rw       = PTEFlags(rawValue: 1 << 1)   // _PAGE_RW
    public static let user     = PTEFlags(rawValue: 1 << 2)   // _PAGE_USER
    public static let accessed = PTEFlags(rawValue: 1 << 5)   // _PAGE_ACCESSED
    public static let dirty    = PTEFlags(rawValue: 1 << 6)   // _PAGE_DIRTY
    public static let pse      = PTEFlags(rawValue: 1 << 7)   // _PAGE_PSE (superpage; refused by the model's Xen)
    public static let global   = PTEFlags(rawValue: 1 << 8)   // _PAGE_GLOBAL
    public static let avail    = PTEFlags(rawValue: 1 << 9)   // _PAGE_AVAIL0 (software bit)
    public static let nx       = PTEFlags(rawValue: 1 << 15)  // _PAGE_NX

    /// Bits today's Xen lets change without re-validation (the fast-path whitelist).
    public static let fastPathWhitelist: PTEFlags = [.nx, .avail, .global, .dirty, .accessed, .user]

    /// Every flag with its name, in bit order (for printing and parsing traces).
    public static let named: [(String, PTEFlags)] = [
        ("present", .present), ("rw", .rw), ("user", .user), ("accessed", .accessed),
        ("dirty", .dirty), ("pse", .pse), ("global", .global), ("avail", .avail), ("nx", .nx),
    ]

    public var description: String {
        let names = PTEFlags.named.filter { contains($0.1) }.map(\.0)
        return names.isEmpty ? "-" : names.joined(separator: "|")
    }
}

/// One page-table entry: a frame number and flags.
///
/// In the hypervisor's frames the number is an mfn (what the CPU walks); the
/// guest's `pte_pfn_to_mfn` / `pte_mfn_to_pfn` convert it (see P2M.swift).
/// A non-present entry keeps whatever number it holds: Linux stores
/// swap entries there, and the conversions must leave it untouched.
public struct PTE: Hashable, Sendable, Codable, CustomStringConvertible {
    public var frame: Int
    public var flags: PTEFlags

    public init(frame: Int, flags: PTEFlags) { self.frame = frame; self.flags = flags }

    /// The all-zero entry (`__pte(0)`).
    public static let none = PTE(frame: 0, flags: [])

    public var isPresent: Bool { flags.contains(.present) }
    public var isWritable: Bool { flags.contains(.rw) }

    public var description: String { isPresent || frame != 0 ? "\(frame):\(flags)" : "0" }
}

/// The x86 page-table entry bits at their real positions in a 64-bit `pteval_t`
/// (Linux `arch/x86/include/asm/pgtable_types.h`, Xen `asm-x86/x86_64/page.h`): the one
/// definition of every flag and mask. The model's `PTEFlags`, both engines and the prover
/// (`Sources/Checker/Proofs`) read these, so a mask cannot differ between them.
public enum X86PTE {
    public static let present: UInt64  = 1 << 0    // _PAGE_PRESENT
    public static let rw: UInt64       = 1 << 1    // _PAGE_RW
    public static let user: UInt64     = 1 << 2    // _PAGE_USER
    public static let accessed: UInt64 = 1 << 5    // _PAGE_ACCESSED
    public static let dirty: UInt64    = 1 << 6    // _PAGE_DIRTY
    public static let pse: UInt64      = 1 << 7    // _PAGE_PSE
    public static let global: UInt64   = 1 << 8    // _PAGE_GLOBAL
    public static let avail0: UInt64   = 1 << 9    // _PAGE_AVAIL0 (the software bit the model names)
    public static let avail: UInt64    = 0b111 << 9   // _PAGE_AVAIL: software bits 9-11
    public static let nx: UInt64       = 1 << 63   // _PAGE_NX

    /// The bits below 12 the model names (`PTEFlags`): every flag above but NX.
    public static let modelledLow: UInt64 = present | rw | user | accessed | dirty | pse | global | avail0

    /// Xen's `FASTPATH_FLAG_WHITELIST` (`xen/arch/x86/mm.c`, since XSA-182): the bits an
    /// update of a present entry may change, keeping frame and PRESENT, without re-validation.
    public static let fastPathWhitelist: UInt64 = nx | avail | global | dirty | accessed | user

    /// What `MMU_PT_UPDATE_PRESERVE_AD` keeps of the old entry (`update_intpte`:
    /// `new | (old & (_PAGE_ACCESSED | _PAGE_DIRTY))`).
    public static let accessedDirty: UInt64 = accessed | dirty
}

/// Flag bits of a page-table entry, with the x86 names the seed and Xen use.
///
/// Bit positions follow x86 (`X86PTE`) below bit 12, so that a model entry and a real
/// `pteval_t` agree bit for bit there; NX is kept in bit 15 of this small set (bit 63 in a
/// real 64-bit pte). Each flag is defined from `X86PTE`, not written again.
public struct PTEFlags: OptionSet, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The model's bit for NX (x86 bit 63).
    static let nxBit: UInt16 = 1 << 15

    /// The model's flags among the x86 bits `bits`: bits 0-11 the model names keep their
    /// position, NX moves to bit 15, the rest (frame bits, unnamed software bits) are dropped.
    public init(x86 bits: UInt64) {
        let low = UInt16(truncatingIfNeeded: bits & 0xFFF)
        self.init(rawValue: (low & UInt16(X86PTE.modelledLow)) | (bits & X86PTE.nx != 0 ? PTEFlags.nxBit : 0))
    }

    /// These flags at their x86 positions (NX at bit 63); bits the model does not name
    /// (the `disallowed` reserved bits 12-14) have no x86 counterpart and are dropped.
    public var x86: UInt64 {
        UInt64(rawValue & 0xFFF) | (rawValue & PTEFlags.nxBit != 0 ? X86PTE.nx : 0)
    }

    public static let present  = PTEFlags(x86: X86PTE.present)
    public static let rw       = PTEFlags(x86: X86PTE.rw)
    public static let user     = PTEFlags(x86: X86PTE.user)
    public static let accessed = PTEFlags(x86: X86PTE.accessed)
    public static let dirty    = PTEFlags(x86: X86PTE.dirty)
    public static let pse      = PTEFlags(x86: X86PTE.pse)      // superpage; refused by the model's Xen
    public static let global   = PTEFlags(x86: X86PTE.global)
    public static let avail    = PTEFlags(x86: X86PTE.avail0)   // _PAGE_AVAIL0 (software bit)
    public static let nx       = PTEFlags(x86: X86PTE.nx)

    /// Bits today's Xen lets change without re-validation: `X86PTE.fastPathWhitelist` on the
    /// model's bits.
    public static let fastPathWhitelist = PTEFlags(x86: X86PTE.fastPathWhitelist)

    /// The bits `MMU_PT_UPDATE_PRESERVE_AD` keeps of the old entry (`X86PTE.accessedDirty`).
    public static let accessedDirty = PTEFlags(x86: X86PTE.accessedDirty)

    /// Every flag with its name, in bit order (for printing and parsing traces).
    public static let named: [(String, PTEFlags)] = [
        ("present", .present), ("rw", .rw), ("user", .user), ("accessed", .accessed),
        ("dirty", .dirty), ("pse", .pse), ("global", .global), ("avail", .avail), ("nx", .nx),
    ]

    /// The flag named `name` (`PTEFlags.named`), nil if none is.
    public init?(name: String) {
        guard let f = PTEFlags.named.first(where: { $0.0 == name })?.1 else { return nil }
        self = f
    }

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

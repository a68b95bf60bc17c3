/// What Xen knows about one machine frame.

/// Who owns a frame.
public enum Owner: Int, Hashable, Sendable, Codable, Comparable {
    /// The (single) guest domain of the model.
    case guest = 0
    /// Xen itself (e.g. the frames behind its own mappings); the guest may map them read-only only
    /// where Xen installed them, and never update them.
    case xen = 1
    public static func < (a: Owner, b: Owner) -> Bool { a.rawValue < b.rawValue }
}

/// A frame's type (`PGT_*` in Xen). Types are mutually exclusive.
public enum PageType: Int, Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    case none = 0
    case l1 = 1, l2 = 2, l3 = 3, l4 = 4
    case writable = 8

    /// The page-table level, or nil for `none` / `writable`.
    public var level: Int? { (1...4).contains(rawValue) ? rawValue : nil }
    public static func pageTable(_ level: Int) -> PageType { PageType(rawValue: level) ?? .none }
    public var isPageTable: Bool { level != nil }
    public static func < (a: PageType, b: PageType) -> Bool { a.rawValue < b.rawValue }
    public var description: String {
        switch self {
        case .none: "none"
        case .l1: "L1"; case .l2: "L2"; case .l3: "L3"; case .l4: "L4"
        case .writable: "writable"
        }
    }
}

/// What Xen keeps about one machine frame (`struct page_info` in Xen).
///
/// Type and general *counts* are not stored: the spec recomputes them from the references
/// that exist (`XenState.typeCount(_:)`, `XenState.generalCount(_:)`), so they cannot drift.
public struct Frame: Hashable, Sendable, Codable {
    /// Who owns the frame (`page_get_owner`).
    public var owner: Owner
    /// The frame's current type (`PGT_type_mask` of `type_info`). Kept when the type count
    /// drops to 0; the next `get_page_type` with another type retypes it.
    public var type: PageType
    /// `PGT_validated`: every entry has been checked for the frame's level and holds its references.
    public var validated: Bool
    /// `PGT_pinned`: the guest holds a pin (one type and one general reference).
    public var pinned: Bool
    /// The frame's contents, `entriesPerTable` slots: page-table entries when the frame is a
    /// page table, plain data otherwise (the model's data is just PTE-shaped words).
    public var entries: [PTE]

    public init(owner: Owner = .guest, type: PageType = .none, validated: Bool = false,
                pinned: Bool = false, entries: [PTE]) {
        self.owner = owner
        self.type = type
        self.validated = validated
        self.pinned = pinned
        self.entries = entries
    }

    /// A guest-owned, untyped, zeroed frame of `entries` slots.
    public static func zeroed(entries: Int) -> Frame {
        Frame(entries: Array(repeating: .none, count: max(0, entries)))
    }

    /// The frame holds a page-table type that is in force: validated (the spec devalidates any
    /// table whose type count reaches 0, so validated implies a positive type count).
    public var isLivePageTable: Bool { type.isPageTable && validated }
}

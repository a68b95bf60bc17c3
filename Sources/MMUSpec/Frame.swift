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

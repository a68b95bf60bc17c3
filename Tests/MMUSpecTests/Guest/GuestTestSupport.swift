import Testing
@testable import MMUSpec

/// Small guest configurations used by the guest tests.
enum GuestConfigs {
    static let page = MMUConfig.pageSize

    /// The seed's PAE build in miniature: 3 levels (pud folded), 8 entries per table.
    /// pgd slot 0 (64 pages) is user space, the kernel direct map starts at TASK_SIZE = 64
    /// pages; FIXADDR_TOP = 128 pages (Xen's area above it stays empty). 8 pfns: swapper
    /// needs pgd + kernel pmd + 1 PTE page, one process needs pgd + user pmd + private kernel
    /// pmd + 1 PTE page, and one data page is left.
    static func pae(vcpus: Int = 2, mms: Int = 1) -> MMUConfig {
        MMUConfig(levels: 3, entriesPerTable: 8, machineFrames: 8, pfns: 8, vcpus: vcpus, mms: mms,
                  taskSize: 64 * page, fixaddrTop: 128 * page)
    }

    /// A 2-level build: 4 entries per table, 16 pages; user space is pgd slots 0-1, the
    /// direct map slots 2-3. 6 pfns: swapper = pgd + 2 PTE pages, a process = pgd + 1 PTE page.
    static func twoLevel(vcpus: Int = 2, mms: Int = 1, pfns: Int = 6) -> MMUConfig {
        MMUConfig(levels: 2, entriesPerTable: 4, machineFrames: 8, pfns: pfns, vcpus: vcpus, mms: mms,
                  taskSize: 8 * page, fixaddrTop: 16 * page)
    }
}

extension GuestState {
    /// Every invariant's verdict, for `#expect(s.allViolations().isEmpty)` with a readable failure.
    func allViolations() -> [String] { violations().map { "\($0.0.rawValue): \($0.1)" } }
}

/// Applying a list of operations, expecting each to succeed.
extension GuestState {
    @discardableResult
    mutating func run(_ ops: [GuestOp], sourceLocation: SourceLocation = #_sourceLocation) -> [GuestOpResult] {
        ops.map { op in
            let r = apply(op)
            #expect(r == .ok, "\(op) -> \(r)", sourceLocation: sourceLocation)
            return r
        }
    }
}

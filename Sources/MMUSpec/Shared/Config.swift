/// The sizes and switches of one model instance.
///
/// Everything is small on purpose: the explorer enumerates every state. The
/// virtual address space has `entriesPerTable^levels` pages of `pageSize`
/// bytes; `taskSize` and `fixaddrTop` are byte addresses in that space, as
/// `TASK_SIZE` and `FIXADDR_TOP` are in the seed.
public struct MMUConfig: Hashable, Sendable, Codable {
    /// Page-table levels: 2 (x86 non-PAE), 3 (the seed's PAE build, PUD folded), 4 (x86-64).
    public var levels: Int
    /// Entries in every table (the model uses one width for every level).
    public var entriesPerTable: Int
    /// Machine frames (mfns `0..<machineFrames`).
    public var machineFrames: Int
    /// Guest pseudo-physical frames (pfns `0..<pfns`); also the seed's `MAX_DOMAIN_PAGES`.
    public var pfns: Int
    /// Virtual CPUs of the guest.
    public var vcpus: Int
    /// mm structs the guest may have (besides `init_mm`).
    public var mms: Int
    /// `TASK_SIZE`: the pinning walk's limit for a process (bytes, page-aligned).
    public var taskSize: Int
    /// `FIXADDR_TOP`: the end of the walk; above it are Xen's own mappings (bytes, page-aligned).
    public var fixaddrTop: Int
    /// Allow same-level read-only (linear / recursive) entries.
    public var recursiveEntries: Bool
    /// Offer `MMU_PT_UPDATE_PRESERVE_AD`.
    public var preserveAD: Bool
    /// Offer save/restore (`mm-pin-all` / `mm-unpin-all`).
    public var saveRestore: Bool
    /// `MC_BATCH`: multicall entries (and callbacks) per buffer before it is issued.
    /// The seed's value is 32; a smaller one keeps the explored queues short and
    /// reaches the buffer-full flush sooner.
    public var multicallBatch: Int

    /// The model's page size. Fixed at the seed's 4 KiB so addresses read like the seed's.
    public static let pageSize = 4096

    public init(levels: Int = 2, entriesPerTable: Int = 2, machineFrames: Int = 3,
                pfns: Int = 3, vcpus: Int = 1, mms: Int = 1,
                taskSize: Int? = nil, fixaddrTop: Int? = nil,
                recursiveEntries: Bool = true, preserveAD: Bool = true, saveRestore: Bool = true,
                multicallBatch: Int = 32) {
        self.levels = levels
        self.entriesPerTable = entriesPerTable
        self.machineFrames = machineFrames
        self.pfns = pfns
        self.vcpus = vcpus
        self.mms = mms
        let space = MMUConfig.addressSpaceSize(levels: levels, entriesPerTable: entriesPerTable)
        self.fixaddrTop = fixaddrTop ?? space
        self.taskSize = taskSize ?? self.fixaddrTop
        self.recursiveEntries = recursiveEntries
        self.preserveAD = preserveAD
        self.saveRestore = saveRestore
        self.multicallBatch = multicallBatch
    }

    /// Bytes of virtual address space: `entriesPerTable^levels` pages.
    public static func addressSpaceSize(levels: Int, entriesPerTable: Int) -> Int {
        var pages = 1
        for _ in 0..<max(0, min(levels, 8)) { pages = pages &* max(1, entriesPerTable) }
        return pages &* pageSize
    }

    public var addressSpaceSize: Int { MMUConfig.addressSpaceSize(levels: levels, entriesPerTable: entriesPerTable) }

    /// Virtual pages in the address space.
    public var virtualPages: Int { addressSpaceSize / MMUConfig.pageSize }

    /// The seed's `MAX_DOMAIN_PAGES`.
    public var maxDomainPages: Int { pfns }

    /// Checks every range and combination; a value that passes never makes the spec trap.
    public func validate() throws(ConfigError) {
        func need(_ ok: Bool, _ field: String, _ what: String) throws(ConfigError) {
            if !ok { throw ConfigError(field: field, message: what) }
        }
        try need((2...4).contains(levels), "levels", "must be 2, 3 or 4 (got \(levels))")
        try need((2...8).contains(entriesPerTable), "entries-per-table", "must be 2...8 (got \(entriesPerTable))")
        try need((1...16).contains(machineFrames), "machine-frames", "must be 1...16 (got \(machineFrames))")
        try need((1...16).contains(pfns), "pfns", "must be 1...16 (got \(pfns))")
        try need((1...4).contains(vcpus), "vcpus", "must be 1...4 (got \(vcpus))")
        try need((0...4).contains(mms), "mms", "must be 0...4 (got \(mms))")
        try need((1...32).contains(multicallBatch), "multicall-batch", "must be 1...32 (got \(multicallBatch))")
        let space = addressSpaceSize
        try need(fixaddrTop > 0 && fixaddrTop % MMUConfig.pageSize == 0, "fixaddr-top",
                 "must be a positive multiple of the page size \(MMUConfig.pageSize) (got \(fixaddrTop))")
        try need(fixaddrTop <= space, "fixaddr-top",
                 "must not exceed the address space (\(space) bytes = \(entriesPerTable)^\(levels) pages; got \(fixaddrTop))")
        try need(taskSize >= 0 && taskSize % MMUConfig.pageSize == 0, "task-size",
                 "must be a non-negative multiple of the page size \(MMUConfig.pageSize) (got \(taskSize))")
        try need(taskSize <= fixaddrTop, "task-size", "must not exceed fixaddr-top \(fixaddrTop) (got \(taskSize))")
    }
}

/// A configuration that cannot be modelled: which field, and why.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kebab-case field name, as spec files spell it.
    public var field: String
    public var message: String
    public init(field: String, message: String) { self.field = field; self.message = message }
    public var description: String { "\(field): \(message)" }
}

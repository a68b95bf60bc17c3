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
    /// Xen's rules for a 32-bit PV guest's L3 (`is_pv_32bit_domain`; 3 levels, 4 entries):
    /// present L3 entries get `_PAGE_RW|_PAGE_USER` forced on (`adjust_guest_l3e`), no L3
    /// linear entries (the XSA-185 fix), slot 3 is Xen's (`is_guest_l3_slot`: updates refused)
    /// and the L2 it names is the L3's own (`create_pae_xen_mappings`: not shared).
    public var compatL3: Bool = false
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
        try need(!compatL3 || (levels == 3 && entriesPerTable == 4), "compat-l3",
                 "a 32-bit PV guest's tables are PAE: needs levels 3 and entries-per-table 4 (got \(levels) and \(entriesPerTable))")
    }
}

extension MMUConfig {
    private enum CodingKeys: String, CodingKey {
        case levels, entriesPerTable, machineFrames, pfns, vcpus, mms, taskSize, fixaddrTop
        case recursiveEntries, preserveAD, saveRestore, compatL3, multicallBatch
    }

    /// Decodes a configuration; `compatL3`, added after traces were first written, may be
    /// absent (off), so those traces still replay.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        levels = try c.decode(Int.self, forKey: .levels)
        entriesPerTable = try c.decode(Int.self, forKey: .entriesPerTable)
        machineFrames = try c.decode(Int.self, forKey: .machineFrames)
        pfns = try c.decode(Int.self, forKey: .pfns)
        vcpus = try c.decode(Int.self, forKey: .vcpus)
        mms = try c.decode(Int.self, forKey: .mms)
        taskSize = try c.decode(Int.self, forKey: .taskSize)
        fixaddrTop = try c.decode(Int.self, forKey: .fixaddrTop)
        recursiveEntries = try c.decode(Bool.self, forKey: .recursiveEntries)
        preserveAD = try c.decode(Bool.self, forKey: .preserveAD)
        saveRestore = try c.decode(Bool.self, forKey: .saveRestore)
        compatL3 = try c.decodeIfPresent(Bool.self, forKey: .compatL3) ?? false
        multicallBatch = try c.decode(Int.self, forKey: .multicallBatch)
    }

    /// Encodes every field; `compatL3` only when on, so traces of other configurations are
    /// byte-identical to the ones written before it existed.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(levels, forKey: .levels)
        try c.encode(entriesPerTable, forKey: .entriesPerTable)
        try c.encode(machineFrames, forKey: .machineFrames)
        try c.encode(pfns, forKey: .pfns)
        try c.encode(vcpus, forKey: .vcpus)
        try c.encode(mms, forKey: .mms)
        try c.encode(taskSize, forKey: .taskSize)
        try c.encode(fixaddrTop, forKey: .fixaddrTop)
        try c.encode(recursiveEntries, forKey: .recursiveEntries)
        try c.encode(preserveAD, forKey: .preserveAD)
        try c.encode(saveRestore, forKey: .saveRestore)
        if compatL3 { try c.encode(compatL3, forKey: .compatL3) }
        try c.encode(multicallBatch, forKey: .multicallBatch)
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

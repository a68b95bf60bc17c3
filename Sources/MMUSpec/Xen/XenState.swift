/// The hypervisor half of the executable specification: Xen's view of one PV guest's memory.
///
/// Modelled on `xen/arch/x86/mm.c`. Plain values; every operation takes any arguments and
/// either succeeds or returns a Xen error code leaving the state unchanged. Type and general
/// counts are *derived* (recomputed from the references that exist), never stored, so the
/// spec cannot get a count wrong the way XSA-224/242 did; see docs/model.md.

/// Test-only rule removals (mutations) used to show the checker finds broken rules.
/// Stored in the state so the explorer needs no extra plumbing; a spec run uses none
/// unless it asks for one explicitly.
public enum XenMutation: String, CaseIterable, Hashable, Sendable, Codable {
    /// Skip the `get_page_type(writable)` failure of an RW L1 entry to a page-table frame
    /// (`get_page_from_l1e`): the entry is accepted without a type reference.
    case allowWritableL1ToPagetable = "allow-writable-l1-to-pagetable"
    /// XSA-182: `mod_l2_entry` .. `mod_l4_entry` take the fast path (no re-validation)
    /// whenever the entry's frame and PRESENT are unchanged, so RW can be added to an existing
    /// linear entry. L1 updates are not affected (`mod_l1_entry` re-validated a change of RW).
    case oldFastPath = "old-fast-path"
    /// XSA-185 (with `MMUConfig.compatL3`): Xen before c844d637d9 checked a 32-bit guest's L3
    /// entry as the guest wrote it, so a read-only L3 linear entry passed
    /// (`get_l3_linear_pagetable`), and then forced `_PAGE_RW|_PAGE_USER` on it
    /// (`adjust_guest_l3e`): the L3 maps itself writably.
    case compatL3Linear = "compat-l3-linear"
}

/// The hypervisor's state.
public struct XenState: Hashable, Sendable, Codable {
    public let config: MMUConfig
    public let mutations: Set<XenMutation>
    /// Machine frames, index = mfn.
    public var frames: [Frame]
    /// Per vCPU: the mfn of the loaded root table (`v->arch.guest_table`), nil = none.
    public var cr3: [Int?]
    /// The machine-to-physical table, per mfn: a pfn, or nil (`INVALID_M2P_ENTRY`).
    public var m2p: [Int?]

    /// How `guestStore` handled a store.
    public enum StoreOutcome: Hashable, Sendable, Codable {
        /// Written straight to memory through a writable mapping.
        case plainWrite
        /// A store to a read-only mapped L1 page, emulated as an update of that L1 entry
        /// (the writable-pagetable assist, `ptwr_do_page_fault` / `ptwr_emulated_update`).
        case emulatedL1Update
    }

    /// Every frame guest-owned, untyped and zeroed; no cr3; m2p all invalid.
    /// (At domain build, Xen hands the guest a set of zeroed frames; the guest builds its
    /// tables itself. Negative sizes give an empty machine rather than a trap.)
    public init(config: MMUConfig, mutations: Set<XenMutation> = []) {
        self.config = config
        self.mutations = mutations
        let n = max(0, config.machineFrames)
        self.frames = Array(repeating: Frame.zeroed(entries: config.entriesPerTable), count: n)
        self.cr3 = Array(repeating: nil, count: max(0, config.vcpus))
        self.m2p = Array(repeating: nil, count: n)
    }

    /// The level of a root (cr3) table: the model has no PAE special case, so the root
    /// is always the top level `config.levels`.
    public var rootLevel: Int { config.levels }

    /// The root page-table type (`PGT_root_page_table`).
    public var rootType: PageType { .pageTable(rootLevel) }

    // MARK: - Small safe accessors

    /// Is `mfn` a machine frame of this model?
    public func isFrame(_ mfn: Int) -> Bool { frames.indices.contains(mfn) }

    /// Is `mfn` a frame the guest owns (`get_page_from_mfn(mfn, d)` succeeding)?
    public func isGuestFrame(_ mfn: Int) -> Bool { isFrame(mfn) && frames[mfn].owner == .guest }

    /// Entry `slot` of frame `mfn`, nil if either is out of range.
    public func entry(_ mfn: Int, _ slot: Int) -> PTE? {
        guard isFrame(mfn), frames[mfn].entries.indices.contains(slot) else { return nil }
        return frames[mfn].entries[slot]
    }

    // MARK: - Derived counts

    /// The reference one entry of a *validated* level-`level` table in frame `table` holds:
    /// the frame it names and the type it demands (nil = a general reference only).
    ///
    /// Mirrors `get_page_from_l1e` .. `get_page_from_l4e`: an L1 entry takes a writable type
    /// reference when RW, else only a general one; an Lk entry (k >= 2) takes an L(k-1)
    /// reference, unless it is a linear entry (the target is a live table of the same level),
    /// which takes an Lk reference; a self-reference takes none at all
    /// (`define_get_linear_pagetable`: `if (pfn != pde_pfn) get_page...`).
    /// Non-present entries and entries naming no frame hold nothing.
    public func reference(of e: PTE, inTable table: Int, level: Int) -> (target: Int, demand: PageType?)? {
        guard e.isPresent, isFrame(e.frame) else { return nil }
        if level <= 1 { return (e.frame, e.isWritable ? .writable : nil) }
        if e.frame == table { return nil }
        let target = frames[e.frame]
        if target.type == .pageTable(level) && target.validated { return (e.frame, .pageTable(level)) }
        return (e.frame, .pageTable(level - 1))
    }

    /// Who holds a reference.
    public enum Holder: Hashable, Sendable, CustomStringConvertible {
        /// Entry `slot` of the validated table `table`.
        case entry(table: Int, slot: Int)
        /// The pin of frame `mfn`.
        case pin(mfn: Int)
        /// The cr3 of `vcpu`.
        case cr3(vcpu: Int)
        public var description: String {
            switch self {
            case .entry(let t, let s): "entry \(t)[\(s)] of the validated table \(t)"
            case .pin(let f): "the pin of frame \(f)"
            case .cr3(let v): "the cr3 of vCPU \(v)"
            }
        }
    }

    /// One reference that exists: the frame it names, the type it demands (nil = a general
    /// reference only) and who holds it.
    public struct Reference: Hashable, Sendable {
        public var target: Int
        public var demand: PageType?
        public var holder: Holder
    }

    /// Calls `body` for every reference that exists, in a fixed order: entries of validated
    /// page tables, then pins, then cr3s.
    func forEachReference(_ body: (_ target: Int, _ demand: PageType?, _ holder: () -> Holder) -> Void) {
        for (f, frame) in frames.enumerated() where frame.isLivePageTable {
            let level = frame.type.level ?? 1
            for (slot, e) in frame.entries.enumerated() {
                if let r = reference(of: e, inTable: f, level: level) {
                    body(r.target, r.demand, { .entry(table: f, slot: slot) })
                }
            }
        }
        for (f, frame) in frames.enumerated() where frame.pinned {
            body(f, frame.type, { .pin(mfn: f) })
        }
        for (v, root) in cr3.enumerated() {
            if let root, isFrame(root) { body(root, rootType, { .cr3(vcpu: v) }) }
        }
    }

    /// Every reference that exists (see `forEachReference`).
    public func references() -> [Reference] {
        var refs: [Reference] = []
        forEachReference { t, d, h in refs.append(Reference(target: t, demand: d, holder: h())) }
        return refs
    }

    /// Type counts of every frame: the references that demand the frame's *current* type
    /// (a pin demands the type it holds). Recomputed from their definition.
    public func typeCounts() -> [Int] {
        var counts = Array(repeating: 0, count: frames.count)
        forEachReference { t, d, _ in
            if let d, d == frames[t].type { counts[t] += 1 }
        }
        return counts
    }

    /// General counts of every frame: every reference naming the frame (present entries of
    /// validated tables except self-references, pins, cr3s).
    public func generalCounts() -> [Int] {
        var counts = Array(repeating: 0, count: frames.count)
        forEachReference { t, _, _ in counts[t] += 1 }
        return counts
    }

    /// References demanding the frame's type: validated entries, pins, cr3s (0 if out of range).
    public func typeCount(_ mfn: Int) -> Int {
        isFrame(mfn) ? typeCounts()[mfn] : 0
    }

    /// References naming the frame at all (0 if out of range).
    public func generalCount(_ mfn: Int) -> Int {
        isFrame(mfn) ? generalCounts()[mfn] : 0
    }

    // MARK: - Walks

    /// Virtual pages of the address space (never negative, whatever the configuration).
    public var pageCount: Int { max(0, config.virtualPages) }

    /// The table index used at `level` (1 = the L1 slot) for virtual page `page`.
    public func index(page: Int, level: Int) -> Int {
        let e = max(1, config.entriesPerTable)
        var p = page
        for _ in 1..<max(1, level) { p /= e }
        return p % e
    }

    /// The virtual page of byte address `va`, nil outside the address space.
    public func page(ofVA va: Int) -> Int? {
        guard va >= 0, va < config.addressSpaceSize else { return nil }
        return va / MMUConfig.pageSize
    }

    /// One walk of the hardware page-table walker from `root` for virtual page `page`, over
    /// raw memory (the CPU does not look at types).
    public struct Walk: Hashable, Sendable {
        /// The tables used, root first; the last one is the table used as the L1 when the
        /// walk got that far (`tables.count == levels`).
        public var tables: [Int]
        /// The L1 entry reached (present or not), nil if an upper entry stopped the walk.
        public var leaf: PTE?
        /// The AND of RW over every upper-level entry of the walk (the leaf's RW excluded).
        public var upperRW: Bool
        /// The mapped frame, when the leaf is present and names a frame.
        public var mapped: Int?
        /// Effective RW: the AND of RW at every level, leaf included.
        public var writable: Bool
    }

    /// Walk from `root` for virtual page `page` (any arguments; stops at the first
    /// non-present entry or an entry naming no frame).
    public func walk(root: Int, page: Int) -> Walk {
        var w = Walk(tables: [], leaf: nil, upperRW: true, mapped: nil, writable: false)
        guard isFrame(root), page >= 0 else { return w }
        var table = root
        var level = rootLevel
        while true {
            w.tables.append(table)
            guard let e = entry(table, index(page: page, level: level)) else { return w }
            if level <= 1 {
                w.leaf = e
                if e.isPresent, isFrame(e.frame) {
                    w.mapped = e.frame
                    w.writable = w.upperRW && e.isWritable
                }
                return w
            }
            guard e.isPresent, isFrame(e.frame) else { return w }
            w.upperRW = w.upperRW && e.isWritable
            table = e.frame
            level -= 1
        }
    }

    /// Walk vCPU's page tables for virtual address `va`: the mapped mfn and effective RW
    /// (the AND of RW at every level), or nil if not mapped (or no cr3 / bad arguments).
    public func translate(vcpu: Int, va: Int) -> (mfn: Int, writable: Bool)? {
        guard cr3.indices.contains(vcpu), let root = cr3[vcpu], let p = page(ofVA: va) else { return nil }
        let w = walk(root: root, page: p)
        guard let m = w.mapped else { return nil }
        return (m, w.writable)
    }

    /// The roots every invariant walks from: vCPU cr3s, pinned root-level frames and every
    /// validated root-level table (a validated root may be loaded by `new_baseptr` at any
    /// time without re-validation, so it must be safe already). Sorted, no duplicates.
    public func roots() -> [Int] {
        var set = Set<Int>()
        for case let r? in cr3 where isFrame(r) { set.insert(r) }
        for (f, frame) in frames.enumerated() where frame.type == rootType && (frame.pinned || frame.validated) {
            set.insert(f)
        }
        return set.sorted()
    }

    /// Frames writable through some walk from some root (`roots()`), recursive entries included.
    public func writableFrames() -> Set<Int> {
        var out = Set<Int>()
        for r in roots() {
            for p in 0..<pageCount {
                let w = walk(root: r, page: p)
                if w.writable, let m = w.mapped { out.insert(m) }
            }
        }
        return out
    }
}

extension XenState: CustomStringConvertible {
    /// A compact one-line picture: `f0 L2+vp [1:present|rw 0] ...; cr3 [0]; m2p [-]`.
    public var description: String {
        let fs = frames.enumerated().map { (f, frame) -> String in
            var tag = frame.type.description
            if frame.validated { tag += "+v" }
            if frame.pinned { tag += "p" }
            if frame.owner == .xen { tag += "(xen)" }
            return "f\(f) \(tag) [\(frame.entries.map(\.description).joined(separator: " "))]"
        }
        let c = cr3.map { $0.map(String.init) ?? "-" }.joined(separator: ",")
        let m = m2p.map { $0.map(String.init) ?? "-" }.joined(separator: ",")
        return fs.joined(separator: "; ") + "; cr3 [\(c)]; m2p [\(m)]"
    }
}

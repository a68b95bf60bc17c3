import MMUSpec

/// Why a configuration cannot run on the fast engine (it then runs on the spec engine).
public struct FastUnsupported: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Test-only defects of the fast engine, used to show that the differential tester
/// catches a wrong optimisation. Spec files cannot reach them.
public enum FastDefect: String, Sendable, CaseIterable {
    /// `mod_lN_entry` forgets to drop the old entry's reference (a count leak, XSA-224 style).
    case keepOldReference = "keep-old-reference"
    /// Devalidation does not cascade: a table dropped to type count 0 keeps its children's references.
    case noDevalidationCascade = "no-devalidation-cascade"
    /// With the compat L3 rules, `mod_l3_entry` stores the entry as the guest wrote it:
    /// `adjust_guest_l3e` forgotten on update (validation still adjusts).
    case noCompatL3Adjust = "no-compat-l3-adjust"
}

/// The optimised hypervisor: Xen's rules (the same ones `XenState` states) on a packed
/// `FastXenState`, with type and general counts *stored* and updated incrementally as
/// Xen's `get_page_type` / `put_page_type` do, instead of recomputed from the references.
///
/// One value of this type holds what never changes during a run: the layout of the packed
/// state for one configuration and the precomputed tables over entry values (an entry is
/// stored as an index into `values`). It shares MMUSpec's vocabulary (configuration, PTE,
/// error codes, actions, the operation table) and a few definitions that are constants of
/// the interface rather than rules (the fast-path predicate `PTE.updateSkipsValidation`, the
/// preserve-AD merge `PTE.preservingAD`, the batch semantics `HypercallBatch`, the entry
/// values and slot renamings): those are held to the prover's masks by ProverConstantsTests
/// and proved by the arithmetic obligations. Its rules (typing, validation, reference
/// counts, walks, invariants) are its own; the differential tester holds them to the spec
/// after every operation.
public struct FastXen: Sendable {
    public let config: MMUConfig
    /// Frames, entries per table, vCPUs, levels, virtual pages.
    let frameCount: Int, slotCount: Int, vcpuCount: Int, levelCount: Int, pages: Int
    /// Byte offsets of each region of the packed state.
    let metaBase: Int, tcBase: Int, gcBase: Int, m2pBase: Int, cr3Base: Int
    /// Bytes used, and 64-bit words used, of the packed state.
    public let size: Int
    let usedWords: Int

    /// Every entry value the engine can hold; index 0 is `PTE.none`.
    public let values: [PTE]
    let valueIndex: [PTE: UInt8]
    let vPresent: [Bool], vRW: [Bool], vDisallowed: [Bool]
    /// The frame a present value names, `FastXen.noFrame` when none.
    let vFrame: [UInt8]
    /// A rename-invariant id of a value (same flags and presence), for symmetry signatures.
    let vShape: [UInt16]
    /// [old * n + new] for an L1 entry, then [n * n + old * n + new] for an L2-L4 entry: the
    /// update takes the fast path (no re-validation). The two halves differ only under the
    /// test-only `.oldFastPath` mutation, which concerns L2-L4 entries.
    let fastPath: [Bool]
    /// [old * n + new]: `new` with the old entry's Accessed/Dirty bits (`MMU_PT_UPDATE_PRESERVE_AD`).
    let mergeAD: [UInt8]
    /// [value * frameCount + frame]: the value naming `frame` instead (present values only).
    let renameTo: [UInt8]
    /// [page * levelCount + level - 1]: the table index used at `level` for virtual page `page`.
    let pageIndex: [UInt8]
    /// Every permutation of the frames, flattened, for symmetry ties (empty past 6 frames).
    let allPermutations: [UInt8]
    /// The slot renamings symmetry tries (`XenState.slotPermutations`), flattened
    /// (`[k * slotCount + old] = new`, the identity first), and how many there are.
    let slotPermutations: [UInt8]
    let slotRenamings: Int
    /// What the symmetry fingerprint reads, in raw memory: `vFrame | vShape << 8` per value,
    /// `renameTo`, and the inverses of `slotPermutations`.
    let tables: FastTables

    let allowWritableL1ToPagetable: Bool
    /// `config.compatL3`, and the XSA-185 mutation of it (`.compatL3Linear`).
    let compatL3: Bool, compatL3Linear: Bool
    /// [value]: the value with `_PAGE_RW|_PAGE_USER` forced on when present (`adjust_guest_l3e`);
    /// and whether it has flags a 32-bit guest's L3 may not have. Empty without `compatL3`.
    let adjustL3: [UInt8], vCompatL3Disallowed: [Bool]
    /// Test-only defects, as flags (a set lookup would cost more than the rule).
    let keepOldReference: Bool, noDevalidationCascade: Bool, noCompatL3Adjust: Bool

    // A frame's meta byte: the type code in the low three bits (`typeMask`: 0 none, 1-4 the
    // page-table levels, 5 writable), then the validated, pinned and Xen-owned bits.
    static let typeMask: UInt8 = 7
    static let typeNone: UInt8 = 0
    static let typeWritable: UInt8 = 5
    /// A reference that demands no type (a general reference only).
    static let noDemand: UInt8 = 0xFF
    /// `vFrame` of a value that names no machine frame (not present, or out of range).
    static let noFrame: UInt8 = 0xFF
    static let validatedBit: UInt8 = 8, pinnedBit: UInt8 = 16, xenBit: UInt8 = 32

    /// The engine for `config`, holding entries from `entryValues` (the adversary's values;
    /// closed here under preserve-AD merging and frame renaming).
    /// Throws when the configuration does not fit the packed state.
    public init(config: MMUConfig, entryValues: [PTE], mutations: Set<XenMutation> = [],
                defects: Set<FastDefect> = []) throws(FastUnsupported) {
        self.config = config
        frameCount = config.machineFrames; slotCount = config.entriesPerTable; vcpuCount = config.vcpus; levelCount = config.levels
        pages = config.virtualPages
        guard frameCount >= 1, slotCount >= 1, vcpuCount >= 1, (1...4).contains(levelCount) else {
            throw FastUnsupported(reason: "the fast engine needs at least one frame, entry and vCPU")
        }
        metaBase = frameCount * slotCount; tcBase = metaBase + frameCount; gcBase = tcBase + frameCount; m2pBase = gcBase + frameCount; cr3Base = m2pBase + frameCount
        size = cr3Base + vcpuCount
        guard size <= FastXenState.capacity else {
            throw FastUnsupported(reason: "the packed state needs \(size) bytes (frames x (entries + 4) + vCPUs), more than \(FastXenState.capacity)")
        }
        guard frameCount + 1 < 255, config.pfns + 1 < 256, frameCount * slotCount + 1 + vcpuCount < 256, pages <= 256 else {
            throw FastUnsupported(reason: "sizes too large for byte fields")
        }
        usedWords = (size + 7) / 8
        allowWritableL1ToPagetable = mutations.contains(.allowWritableL1ToPagetable)
        compatL3 = config.compatL3
        compatL3Linear = config.compatL3 && mutations.contains(.compatL3Linear)
        keepOldReference = defects.contains(.keepOldReference)
        noDevalidationCascade = defects.contains(.noDevalidationCascade)
        noCompatL3Adjust = defects.contains(.noCompatL3Adjust)

        // The value table: closed under preserve-AD merging and renaming of frames.
        var vals: [PTE] = [.none]
        var index: [PTE: UInt8] = [.none: 0]
        var work: [PTE] = []
        func add(_ p: PTE) { if index[p] == nil { index[p] = UInt8(truncatingIfNeeded: vals.count); vals.append(p); work.append(p) } }
        for p in entryValues { add(p) }
        work = Array(vals)
        while let p = work.popLast() {
            guard vals.count <= 255 else { break }
            if config.compatL3 { add(p.adjustedCompatL3) }
            if p.isPresent, (0..<frameCount).contains(p.frame) { for g in 0..<frameCount { add(PTE(frame: g, flags: p.flags)) } }
            if config.preserveAD {
                for o in vals { add(p.preservingAD(of: o)) }
                for q in vals { add(q.preservingAD(of: p)) }
            }
        }
        guard vals.count <= 255 else {
            throw FastUnsupported(reason: "more than 255 distinct entry values")
        }
        values = vals; valueIndex = index
        adjustL3 = config.compatL3 ? vals.map { index[$0.adjustedCompatL3]! } : []
        vCompatL3Disallowed = config.compatL3 ? vals.map { !$0.flags.isDisjoint(with: .compatL3Disallowed) } : []
        let n = vals.count
        vPresent = vals.map(\.isPresent)
        vRW = vals.map(\.isWritable)
        vDisallowed = vals.map { !$0.flags.isDisjoint(with: .disallowed) }
        let frames = frameCount
        vFrame = vals.map { $0.isPresent && (0..<frames).contains($0.frame) ? UInt8($0.frame) : FastXen.noFrame }
        vShape = vals.enumerated().map { (i, p) in
            p.isPresent ? UInt16(vals.firstIndex { $0.isPresent && $0.flags == p.flags }!) : UInt16(256 + i)
        }
        let vInfo = zip(vFrame, vShape).map { UInt32($0) | UInt32($1) << 8 }
        let oldFast = mutations.contains(.oldFastPath)
        var fp = [Bool](repeating: false, count: 2 * n * n), merge = [UInt8](repeating: 0, count: n * n)
        for o in 0..<n {
            for v in 0..<n {
                let a = vals[o], b = vals[v]
                fp[o * n + v] = PTE.updateSkipsValidation(old: a, new: b, oldFastPath: false)
                fp[n * n + o * n + v] = PTE.updateSkipsValidation(old: a, new: b, oldFastPath: oldFast)
                // Without the feature the merge is never used (Xen refuses the request): identity.
                let m = config.preserveAD ? b.preservingAD(of: a) : b
                guard let mi = index[m] else {   // the closure above makes this unreachable
                    throw FastUnsupported(reason: "entry value \(m) missing from the value table")
                }
                merge[o * n + v] = mi
            }
        }
        fastPath = fp; mergeAD = merge
        var ren = [UInt8](repeating: 0, count: n * frameCount)
        for v in 0..<n {
            for g in 0..<frameCount {
                let p = vals[v]
                ren[v * frameCount + g] = p.isPresent && (0..<frameCount).contains(p.frame) ? index[PTE(frame: g, flags: p.flags)]! : UInt8(v)
            }
        }
        renameTo = ren
        var pi = [UInt8](repeating: 0, count: max(1, pages * levelCount))
        for p in 0..<pages {
            var q = p
            for level in 1...levelCount { pi[p * levelCount + level - 1] = UInt8(q % slotCount); q /= slotCount }
        }
        pageIndex = pi
        allPermutations = FastXen.permutations(frameCount)
        let sigmas = XenState.slotPermutations(config)
        slotPermutations = sigmas.flatMap { $0.map { UInt8($0) } }
        let slotInverse = sigmas.flatMap { sigma in
            var inverse = [UInt8](repeating: 0, count: sigma.count)
            for (old, new) in sigma.enumerated() { inverse[new] = UInt8(old) }
            return inverse
        }
        slotRenamings = sigmas.count
        tables = FastTables(vInfo: vInfo, renameTo: renameTo, frames: frameCount, slotInverse: slotInverse)
    }

    /// The initial state: every frame guest-owned, untyped and zeroed; no cr3; m2p invalid.
    public var initialState: FastXenState { FastXenState() }

    /// The index of an entry value, nil when the engine cannot hold it.
    public func valueIndex(of p: PTE) -> UInt8? { valueIndex[p] }

    // MARK: - Field access

    @inline(__always) func entry(_ s: FastXenState, _ f: Int, _ slot: Int) -> Int { Int(s[f &* slotCount &+ slot]) }
    @inline(__always) func setEntry(_ s: inout FastXenState, _ f: Int, _ slot: Int, _ v: Int) { s[f &* slotCount &+ slot] = UInt8(truncatingIfNeeded: v) }
    @inline(__always) func meta(_ s: FastXenState, _ f: Int) -> UInt8 { s[metaBase &+ f] }
    @inline(__always) func type(_ s: FastXenState, _ f: Int) -> UInt8 { s[metaBase &+ f] & FastXen.typeMask }
    @inline(__always) func validated(_ s: FastXenState, _ f: Int) -> Bool { s[metaBase &+ f] & FastXen.validatedBit != 0 }
    @inline(__always) func pinned(_ s: FastXenState, _ f: Int) -> Bool { s[metaBase &+ f] & FastXen.pinnedBit != 0 }
    @inline(__always) func xenOwned(_ s: FastXenState, _ f: Int) -> Bool { s[metaBase &+ f] & FastXen.xenBit != 0 }
    /// A page-table type in force (`validated` and type L1..L4).
    @inline(__always) func isLivePageTable(_ s: FastXenState, _ f: Int) -> Bool {
        let m = s[metaBase &+ f]
        return m & FastXen.validatedBit != 0 && (1...4).contains(m & FastXen.typeMask)
    }
    @inline(__always) func typeCount(_ s: FastXenState, _ f: Int) -> Int { Int(s[tcBase &+ f]) }
    @inline(__always) func generalCount(_ s: FastXenState, _ f: Int) -> Int { Int(s[gcBase &+ f]) }
    /// cr3 of a vCPU: the root mfn, or -1 for none.
    @inline(__always) func cr3(_ s: FastXenState, _ v: Int) -> Int { Int(s[cr3Base &+ v]) &- 1 }
    @inline(__always) func setMeta(_ s: inout FastXenState, _ f: Int, _ m: UInt8) { s[metaBase &+ f] = m }
    @inline(__always) func index(page: Int, level: Int) -> Int { Int(pageIndex[page &* levelCount &+ level &- 1]) }

    /// The type code of a level-`level` page table, and of a root.
    @inline(__always) static func tableType(_ level: Int) -> UInt8 { UInt8(truncatingIfNeeded: level) }
    var rootType: UInt8 { FastXen.tableType(levelCount) }
}

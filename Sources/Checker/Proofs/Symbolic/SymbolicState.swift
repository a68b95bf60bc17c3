import MMUSpec
import SMT

/// The hypervisor model (`XenState`) as bit-vector terms at one fixed size, for the inductive
/// proofs: every field of a state is a term, so one `SymbolicXenState` stands for every state
/// of that size when its terms are variables, and for one concrete state when they are
/// constants (the agreement tests evaluate the encoding that way against MMUSpec).
///
/// Counts are *derived*, as in the spec (`XenState.typeCounts`): a count is never a field, and
/// the rules and invariants only ever ask whether a frame's type count is positive, which is
/// a disjunction over the references (`hasTypeReference`), cheaper for the solver than a sum
/// and exactly what the spec's `count > 0` / `count == 0` tests read.
///
/// The encoding's state space is every assignment of its terms with frame types in the
/// model's domain (`wellTyped`: none, writable or L1..L`levels`); arguments range over every
/// value of their widths, out-of-range ones included.
struct SymbolicSize {
    let config: MMUConfig
    let mutations: Set<XenMutation>
    /// Test-only mistakes in the encoding alone (the spec keeps its rules), to show that the
    /// agreement tests catch a wrong encoding.
    var defects: Set<SymbolicDefect> = []
    /// The modular encoding (`ModularContracts.swift`): `get_page_type`'s entry loop and
    /// devalidation are replaced by their contracts instead of unrolled, so a query's size no
    /// longer grows as entries^levels; the contracts are proved as lemmas of their own.
    var modular = false
    /// Modular goals are asked of frame 0 only (every slot). Sound because the model is
    /// symmetric in frames: renaming frames maps every state, step and answer onto another
    /// (`XenSymmetryTests`: `everyFrameRenamingIsAnAutomorphism`, `commutesWithEveryAction`;
    /// the agreement tests hold the encoding to the spec), the premises of a goal (every
    /// invariant, every contract) are closed under renaming, and a step's arguments are
    /// universally quantified; so a conjunct about frame t holds iff its renaming to frame 0
    /// does. Not slots: with linear entries validation depends on the slots' order
    /// (`XenState.slotPermutations`).
    var representatives: Bool { modular }
    var frames: Int { config.machineFrames }
    var slots: Int { config.entriesPerTable }
    var levels: Int { config.levels }
    var vcpus: Int { config.vcpus }
    var pfns: Int { config.pfns }
    var pages: Int { config.virtualPages }

    /// Two's-complement bits for the values -1 ... n + 1 (the range and the nearest values
    /// outside it on both sides), and more: every width has out-of-range values.
    static func bits(_ n: Int) -> Int { max(1, Int.bitWidth - max(0, n + 1).leadingZeroBitCount) + 1 }
    var frameBits: Int { Self.bits(frames) }
    var slotBits: Int { Self.bits(slots) }
    var pfnBits: Int { Self.bits(pfns) }
    var vcpuBits: Int { Self.bits(vcpus) }
    var levelBits: Int { 4 }
    /// Wide enough for every byte address of the space, the first one past it, and negative
    /// addresses (two's complement) beyond both.
    var vaBits: Int { Self.bits(config.addressSpaceSize) + 1 }
    /// `x` as a `w`-bit two's-complement constant, nil when it does not fit (the inverse of
    /// `signed`). Every concrete number enters the encoding through here.
    static func constant(_ ctx: Context, _ x: Int, width w: Int) -> Expr? {
        guard x >= -(1 << (w - 1)), x < 1 << (w - 1) else { return nil }
        return ctx.bv(UInt64(bitPattern: Int64(x)) & ((1 << UInt64(w)) - 1), width: w)
    }

    /// `v`, a `w`-bit value, read as two's complement (how `constant` writes negative values).
    static func signed(_ v: UInt64, width w: Int) -> Int { v >= 1 << UInt64(w - 1) ? Int(v) - (1 << w) : Int(v) }
    static let flagBits = 16
    static let typeBits = 4
    static let errorBits = 8
}

/// Test-only mistakes of the encoding (not of the model): the agreement tests must report each.
enum SymbolicDefect: String, CaseIterable, Sendable {
    /// An RW L1 entry is accepted without `get_page_type(writable)` (the L1 RW check dropped).
    case dropL1RWCheck = "drop-l1-rw-check"
    /// `no-writable-pagetable` forgets pinned frames.
    case noWritablePagetableIgnoresPins = "no-writable-pagetable-ignores-pins"
}

/// One entry: flags (the model's `PTEFlags.rawValue`) and frame number.
struct SymbolicEntry {
    var flags: Expr
    var frame: Expr
    var present: Expr { (flags & UInt64(PTEFlags.present.rawValue)).ne(0) }
    var rw: Expr { (flags & UInt64(PTEFlags.rw.rawValue)).ne(0) }
}

struct SymbolicFrame {
    /// Owned by Xen (`Owner.xen`).
    var xen: Expr
    /// `PageType.rawValue` (0 none, 1-4 the levels, 8 writable).
    var type: Expr
    var validated: Expr
    var pinned: Expr
    var entries: [SymbolicEntry]
}

struct SymbolicXenState {
    let size: SymbolicSize
    var frames: [SymbolicFrame]
    /// Per vCPU: a root is loaded, and which frame.
    var cr3Set: [Expr]
    var cr3: [Expr]
    /// Per frame: the m2p holds a pfn, and which.
    var m2pSet: [Expr]
    var m2p: [Expr]

    var ctx: Context { frames.first?.xen.context ?? cr3Set[0].context }

    /// Fresh variables named after `tag` (a state of this size, any one).
    static func fresh(_ ctx: Context, _ size: SymbolicSize, _ tag: String) -> SymbolicXenState {
        let frames = (0..<size.frames).map { f in
            SymbolicFrame(xen: ctx.bool("\(tag)xen\(f)"), type: ctx.bv("\(tag)type\(f)", width: SymbolicSize.typeBits),
                          validated: ctx.bool("\(tag)validated\(f)"), pinned: ctx.bool("\(tag)pinned\(f)"),
                          entries: (0..<size.slots).map { k in
                              SymbolicEntry(flags: ctx.bv("\(tag)flags\(f)_\(k)", width: SymbolicSize.flagBits),
                                            frame: ctx.bv("\(tag)frame\(f)_\(k)", width: size.frameBits))
                          })
        }
        return SymbolicXenState(size: size, frames: frames,
                                cr3Set: (0..<size.vcpus).map { ctx.bool("\(tag)cr3set\($0)") },
                                cr3: (0..<size.vcpus).map { ctx.bv("\(tag)cr3_\($0)", width: size.frameBits) },
                                m2pSet: (0..<size.frames).map { ctx.bool("\(tag)m2pset\($0)") },
                                m2p: (0..<size.frames).map { ctx.bv("\(tag)m2p\($0)", width: size.pfnBits) })
    }

    /// The constants of a concrete state (its size must be `size`'s); nil when one of its
    /// numbers (an entry's frame, a cr3, an m2p pfn) does not fit the encoding's widths.
    static func constant(_ ctx: Context, _ size: SymbolicSize, _ s: XenState) -> SymbolicXenState? {
        var frames: [SymbolicFrame] = []
        for fr in s.frames {
            var entries: [SymbolicEntry] = []
            for e in fr.entries {
                guard let frame = SymbolicSize.constant(ctx, e.frame, width: size.frameBits) else { return nil }
                entries.append(SymbolicEntry(flags: ctx.bv(UInt64(e.flags.rawValue), width: SymbolicSize.flagBits), frame: frame))
            }
            frames.append(SymbolicFrame(xen: ctx.bool(fr.owner == .xen), type: ctx.bv(UInt64(fr.type.rawValue), width: SymbolicSize.typeBits),
                                        validated: ctx.bool(fr.validated), pinned: ctx.bool(fr.pinned), entries: entries))
        }
        var cr3: [Expr] = [], m2p: [Expr] = []
        for c in s.cr3 {
            guard let x = SymbolicSize.constant(ctx, c ?? 0, width: size.frameBits) else { return nil }
            cr3.append(x)
        }
        for m in s.m2p {
            guard let x = SymbolicSize.constant(ctx, m ?? 0, width: size.pfnBits) else { return nil }
            m2p.append(x)
        }
        return SymbolicXenState(size: size, frames: frames, cr3Set: s.cr3.map { ctx.bool($0 != nil) }, cr3: cr3,
                                m2pSet: s.m2p.map { ctx.bool($0 != nil) }, m2p: m2p)
    }

    /// The concrete state this one evaluates to, when every term is constant (nil otherwise).
    /// Unset cr3 and m2p values are read as nil whatever their number.
    func evaluated(config: MMUConfig, mutations: Set<XenMutation>) -> XenState? {
        decoded(config: config, mutations: mutations, number: { $0.evaluatedNumeral }, truth: { $0.evaluatedBool })
    }

    /// The concrete state of a counterexample (a model of the solver), nil when a type is
    /// outside the model's domain.
    func concrete(in model: SMTModel) -> XenState? {
        decoded(config: size.config, mutations: size.mutations, number: { model.value($0) }, truth: { model.truth($0) })
    }

    /// The state whose terms have the values `number` and `truth` give.
    func decoded(config: MMUConfig, mutations: Set<XenMutation>, number: (Expr) -> UInt64?, truth: (Expr) -> Bool?) -> XenState? {
        var s = XenState(config: config, mutations: mutations)
        func int(_ e: Expr, _ w: Int) -> Int? {
            guard let v = number(e) else { return nil }
            return SymbolicSize.signed(v, width: w)
        }
        for (f, fr) in frames.enumerated() {
            guard let xen = truth(fr.xen), let t = number(fr.type), let type = PageType(rawValue: Int(t)),
                  let v = truth(fr.validated), let p = truth(fr.pinned) else { return nil }
            s.frames[f].owner = xen ? .xen : .guest
            s.frames[f].type = type
            s.frames[f].validated = v
            s.frames[f].pinned = p
            for (k, e) in fr.entries.enumerated() {
                guard let flags = number(e.flags), let frame = int(e.frame, size.frameBits) else { return nil }
                s.frames[f].entries[k] = PTE(frame: frame, flags: PTEFlags(rawValue: UInt16(flags)))
            }
        }
        for v in cr3.indices {
            guard let set = truth(cr3Set[v]), let r = int(cr3[v], size.frameBits) else { return nil }
            s.cr3[v] = set ? r : nil
        }
        for f in m2p.indices {
            guard let set = truth(m2pSet[f]), let p = int(m2p[f], size.pfnBits) else { return nil }
            s.m2p[f] = set ? p : nil
        }
        return s
    }

    // MARK: - Reading and writing at a symbolic frame or slot

    func isFrame(_ f: Expr) -> Expr { f.ult(UInt64(size.frames)) }
    func frameIs(_ f: Expr, _ i: Int) -> Expr { f.eq(UInt64(i)) }

    /// `field` of frame `f` (any value when `f` is out of range: callers check `isFrame`).
    func select(_ f: Expr, _ field: (SymbolicFrame) -> Expr) -> Expr {
        var out = field(frames[frames.count - 1])
        for i in stride(from: frames.count - 2, through: 0, by: -1) { out = ctx.ite(frameIs(f, i), field(frames[i]), out) }
        return out
    }

    /// Entry `k` of frame `f` (any value when either is out of range).
    func entry(_ f: Expr, _ k: Expr) -> SymbolicEntry {
        func pick(_ field: (SymbolicEntry) -> Expr) -> Expr {
            select(f) { fr in
                var out = field(fr.entries[fr.entries.count - 1])
                for j in stride(from: fr.entries.count - 2, through: 0, by: -1) { out = ctx.ite(k.eq(UInt64(j)), field(fr.entries[j]), out) }
                return out
            }
        }
        return SymbolicEntry(flags: pick(\.flags), frame: pick(\.frame))
    }

    /// Frame `f`'s `field` set to `value` where `when` holds (unchanged elsewhere).
    func setting(_ f: Expr, _ field: WritableKeyPath<SymbolicFrame, Expr>, _ value: Expr, when: Expr) -> SymbolicXenState {
        var out = self
        for i in frames.indices {
            out.frames[i][keyPath: field] = ctx.ite(when && frameIs(f, i), value, frames[i][keyPath: field])
        }
        return out
    }

    /// Entry `k` of frame `f` set to `e` where `when` holds.
    func settingEntry(_ f: Expr, _ k: Expr, _ e: SymbolicEntry, when: Expr) -> SymbolicXenState {
        var out = self
        for i in frames.indices {
            for j in frames[i].entries.indices {
                let here = when && frameIs(f, i) && k.eq(UInt64(j))
                out.frames[i].entries[j] = SymbolicEntry(flags: ctx.ite(here, e.flags, frames[i].entries[j].flags),
                                                         frame: ctx.ite(here, e.frame, frames[i].entries[j].frame))
            }
        }
        return out
    }

    /// `if c then a else b`, field by field.
    static func ite(_ c: Expr, _ a: SymbolicXenState, _ b: SymbolicXenState) -> SymbolicXenState {
        let ctx = c.context
        var out = a
        for i in a.frames.indices {
            out.frames[i].xen = ctx.ite(c, a.frames[i].xen, b.frames[i].xen)
            out.frames[i].type = ctx.ite(c, a.frames[i].type, b.frames[i].type)
            out.frames[i].validated = ctx.ite(c, a.frames[i].validated, b.frames[i].validated)
            out.frames[i].pinned = ctx.ite(c, a.frames[i].pinned, b.frames[i].pinned)
            for j in a.frames[i].entries.indices {
                out.frames[i].entries[j] = SymbolicEntry(flags: ctx.ite(c, a.frames[i].entries[j].flags, b.frames[i].entries[j].flags),
                                                         frame: ctx.ite(c, a.frames[i].entries[j].frame, b.frames[i].entries[j].frame))
            }
        }
        for v in a.cr3.indices {
            out.cr3Set[v] = ctx.ite(c, a.cr3Set[v], b.cr3Set[v])
            out.cr3[v] = ctx.ite(c, a.cr3[v], b.cr3[v])
        }
        for f in a.m2p.indices {
            out.m2pSet[f] = ctx.ite(c, a.m2pSet[f], b.m2pSet[f])
            out.m2p[f] = ctx.ite(c, a.m2p[f], b.m2p[f])
        }
        return out
    }

    /// Every term equal (the same state).
    func equals(_ o: SymbolicXenState) -> Expr {
        var parts: [Expr] = []
        for (a, b) in zip(frames, o.frames) {
            parts += [a.xen.eq(b.xen), a.type.eq(b.type), a.validated.eq(b.validated), a.pinned.eq(b.pinned)]
            for (x, y) in zip(a.entries, b.entries) { parts += [x.flags.eq(y.flags), x.frame.eq(y.frame)] }
        }
        for v in cr3.indices { parts += [cr3Set[v].eq(o.cr3Set[v]), cr3Set[v] ==> cr3[v].eq(o.cr3[v])] }
        for f in m2p.indices { parts += [m2pSet[f].eq(o.m2pSet[f]), m2pSet[f] ==> m2p[f].eq(o.m2p[f])] }
        return ctx.and(parts)
    }

    /// The encoding's domain: every frame's type is none, writable or a level of the model.
    var wellTyped: Expr {
        ctx.and(frames.map { fr in
            ctx.or([fr.type.eq(UInt64(PageType.none.rawValue)), fr.type.eq(UInt64(PageType.writable.rawValue))]
                   + (1...size.levels).map { fr.type.eq(UInt64($0)) })
        })
    }
}

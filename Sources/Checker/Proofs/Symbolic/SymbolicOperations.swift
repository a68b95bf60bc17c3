import MMUSpec
import SMT

/// One request of any hypervisor operation with symbolic arguments (the fields of `XenRequest`
/// as terms, plus the vCPU), out-of-range values included.
struct SymbolicRequest {
    var operation: XenOperation
    var vcpu: Expr
    var frame: Expr
    var slot: Expr
    var value: SymbolicEntry
    var pfn: Expr
    var level: Expr
    var va: Expr

    /// Fresh variables for every argument.
    static func fresh(_ ctx: Context, _ size: SymbolicSize, _ op: XenOperation, _ tag: String = "arg_") -> SymbolicRequest {
        SymbolicRequest(operation: op, vcpu: ctx.bv("\(tag)vcpu", width: size.vcpuBits), frame: ctx.bv("\(tag)frame", width: size.frameBits),
                        slot: ctx.bv("\(tag)slot", width: size.slotBits),
                        value: SymbolicEntry(flags: ctx.bv("\(tag)val_flags", width: SymbolicSize.flagBits),
                                             frame: ctx.bv("\(tag)val_frame", width: size.frameBits)),
                        pfn: ctx.bv("\(tag)pfn", width: size.pfnBits), level: ctx.bv("\(tag)level", width: size.levelBits),
                        va: ctx.bv("\(tag)va", width: size.vaBits))
    }

    /// The constants of a concrete single-request action (nil: a batch, or an argument too wide
    /// for the encoding's fields).
    static func constant(_ ctx: Context, _ size: SymbolicSize, _ action: XenAction) -> SymbolicRequest? {
        let rs = action.requests
        guard rs.count == 1, let r = rs.first else { return nil }
        func bv(_ x: Int, _ w: Int) -> Expr? { SymbolicSize.constant(ctx, x, width: w) }
        guard let vcpu = bv(action.vcpu, size.vcpuBits), let frame = bv(r.frame, size.frameBits), let slot = bv(r.slot, size.slotBits),
              let vframe = bv(r.value.frame, size.frameBits), let pfn = bv(r.pfn, size.pfnBits), let level = bv(r.level, size.levelBits),
              let va = bv(r.va, size.vaBits) else { return nil }
        return SymbolicRequest(operation: r.operation, vcpu: vcpu, frame: frame, slot: slot,
                               value: SymbolicEntry(flags: ctx.bv(UInt64(r.value.flags.rawValue), width: SymbolicSize.flagBits), frame: vframe),
                               pfn: pfn, level: level, va: va)
    }
}

extension SymbolicRequest {
    /// The concrete action of a counterexample's arguments.
    func concrete(in model: SMTModel, _ size: SymbolicSize) -> XenAction? {
        func int(_ e: Expr) -> Int? { model.value(e).map { SymbolicSize.signed($0, width: e.width) } }
        guard let vcpu = int(self.vcpu), let frame = int(self.frame), let slot = int(self.slot), let vframe = int(value.frame),
              let flags = model.value(value.flags), let pfn = int(self.pfn), let level = int(self.level), let va = int(self.va) else { return nil }
        var r = XenRequest(operation)
        r.frame = frame; r.slot = slot; r.pfn = pfn; r.level = level; r.va = va
        r.value = PTE(frame: vframe, flags: PTEFlags(rawValue: UInt16(truncatingIfNeeded: flags)))
        return XenAction(vcpu: vcpu, requests: [r])
    }
}

/// What the encoded transition gives: Xen's answer (0, or `XenError.rawValue`) and the state after.
struct SymbolicOutcome {
    let error: Expr
    let state: SymbolicXenState
    /// What the modular encoding assumes of the calls it did not unroll (true in the exact one).
    let assumptions: Expr
}

/// The hardware walk from a symbolic root (`XenState.walk(root:page:)`).
struct SymbolicWalk {
    /// The table used at each level, root first (`tables[i]` exists when `reached[i]`).
    var tables: [Expr]
    var reached: [Expr]
    /// The L1 entry read (meaningful when `complete`).
    var leaf: SymbolicEntry
    /// Every upper entry present and naming a frame: the walk read an L1 entry.
    var complete: Expr
    /// The AND of RW over the upper entries.
    var upperRW: Expr
    /// The leaf maps a frame: `complete`, present, naming a frame.
    var mapped: Expr
    var writable: Expr { mapped && upperRW && leaf.rw }
}

extension SymbolicXenState {
    /// The table index at `level` (1 = the L1 slot) of virtual page `page`.
    func index(page: Expr, level: Int) -> Expr {
        var p = page
        for _ in 1..<max(1, level) { p = p.udiv(UInt64(size.slots)) }
        return p.urem(UInt64(size.slots))
    }

    func walk(root: Expr, page: Expr) -> SymbolicWalk {
        var table = root
        var reached = isFrame(root)
        var w = SymbolicWalk(tables: [], reached: [], leaf: SymbolicEntry(flags: ctx.bv(0, width: SymbolicSize.flagBits), frame: root),
                             complete: ctx.bool(false), upperRW: ctx.bool(true), mapped: ctx.bool(false))
        var level = size.levels
        while true {
            w.tables.append(table)
            w.reached.append(reached)
            let e = entry(table, narrowed(index(page: page, level: level), to: size.slotBits))
            if level <= 1 {
                w.leaf = e
                w.complete = reached
                w.mapped = reached && e.present && isFrame(e.frame)
                return w
            }
            let on = reached && e.present && isFrame(e.frame)
            w.upperRW = w.upperRW && e.rw
            reached = on
            table = e.frame
            level -= 1
        }
    }

    /// `x` (a small value) at width `w`.
    func narrowed(_ x: Expr, to w: Int) -> Expr { x.width > w ? x.extract(w - 1, 0) : (x.width < w ? x.zeroExtend(to: w) : x) }

    /// The virtual page of `va`, and whether `va` is in the address space.
    func page(ofVA va: Expr) -> (page: Expr, inRange: Expr) {
        (va.udiv(UInt64(MMUConfig.pageSize)), va.ult(UInt64(size.config.addressSpaceSize)))
    }

    /// The root a vCPU has loaded (`cr3[vcpu]`) and whether it has one.
    func root(of vcpu: Expr) -> (frame: Expr, set: Expr) {
        var frame = cr3[cr3.count - 1], set = cr3Set[cr3Set.count - 1]
        for v in stride(from: cr3.count - 2, through: 0, by: -1) {
            frame = ctx.ite(vcpu.eq(UInt64(v)), cr3[v], frame)
            set = ctx.ite(vcpu.eq(UInt64(v)), cr3Set[v], set)
        }
        return (frame, set)
    }

    func vcpuInRange(_ vcpu: Expr) -> Expr { vcpu.ult(UInt64(size.vcpus)) }

    /// A live page-table frame (validated, type L1..L`levels`).
    func isLivePageTable(_ f: Expr) -> Expr {
        select(f, \.validated) && ctx.or((1...size.levels).map { select(f, \.type).eq(UInt64($0)) })
    }

    /// The transition of one request (`XenState.apply` of a single-request action): Xen's
    /// answer and the next state; a refused request leaves the state unchanged.
    func transition(_ r: SymbolicRequest) -> SymbolicOutcome {
        var run = SymbolicRun(self)
        let always = ctx.bool(true)
        // hypercall(_:vcpu:) / guestStore: the vCPU first.
        run.fail(.einval, if: !vcpuInRange(r.vcpu))
        /// Whether the request ends in `atomically` (devalidation on success): all but a
        /// guest store's plain write.
        var atomic = ctx.bool(true)
        switch r.operation {
        case .mmuUpdate, .mmuUpdatePreserveAD:
            let preserve = r.operation == .mmuUpdatePreserveAD
            if preserve { run.fail(.einval, if: ctx.bool(!size.config.preserveAD)) }
            run.fail(.einval, if: !isFrame(r.frame))
            run.fail(.einval, if: select(r.frame, \.xen))
            run.fail(.einval, if: r.slot.uge(UInt64(size.slots)))
            let old = entry(r.frame, r.slot)
            let live = isLivePageTable(r.frame)
            let new = preserve
                ? SymbolicEntry(flags: r.value.flags | (old.flags & UInt64(PTEFlags.accessedDirty.rawValue)), frame: r.value.frame)
                : r.value
            let type = select(r.frame, \.type)
            for level in 1...size.levels {
                updateEntry(&run, table: r.frame, slot: r.slot, level: level, new, when: live && type.eq(UInt64(level)))
            }
            getPageType(&run, r.frame, .writable, when: !live)
            run.state = run.state.settingEntry(r.frame, r.slot, r.value, when: !live && run.ok)
        case .mmuUpdateMachphys:
            run.fail(.einval, if: !isFrame(r.frame))
            run.fail(.einval, if: select(r.frame, \.xen))
            run.fail(.einval, if: r.pfn.uge(UInt64(size.pfns)))
            for f in 0..<size.frames {
                let here = run.ok && frameIs(r.frame, f)
                run.state.m2pSet[f] = ctx.ite(here, ctx.bool(true), run.state.m2pSet[f])
                run.state.m2p[f] = ctx.ite(here, r.pfn, run.state.m2p[f])
            }
        case .pin:
            run.fail(.einval, if: r.level.ult(1) || r.level.ugt(UInt64(max(1, size.levels))))
            run.fail(.einval, if: !isFrame(r.frame))
            run.fail(.einval, if: select(r.frame, \.xen))
            run.fail(.einval, if: select(r.frame, \.pinned))
            for level in 1...size.levels { getPageType(&run, r.frame, .pageTable(level), when: r.level.eq(UInt64(level))) }
            run.state = run.state.setting(r.frame, \.pinned, ctx.bool(true), when: run.ok)
        case .unpin:
            run.fail(.einval, if: !isFrame(r.frame))
            run.fail(.einval, if: select(r.frame, \.xen))
            run.fail(.einval, if: !select(r.frame, \.pinned))
            run.state = run.state.setting(r.frame, \.pinned, ctx.bool(false), when: run.ok)
        case .newBaseptr:
            run.fail(.einval, if: !isFrame(r.frame))
            run.fail(.einval, if: select(r.frame, \.xen))
            getPageType(&run, r.frame, .pageTable(size.levels), when: always)
            for v in 0..<size.vcpus {
                let here = run.ok && r.vcpu.eq(UInt64(v))
                run.state.cr3Set[v] = ctx.ite(here, ctx.bool(true), run.state.cr3Set[v])
                run.state.cr3[v] = ctx.ite(here, r.frame, run.state.cr3[v])
            }
        case .updateVAMapping:
            let (root, loaded) = root(of: r.vcpu)
            let (page, inRange) = page(ofVA: r.va)
            run.fail(.einval, if: !loaded || !inRange)
            let w = walk(root: root, page: page)
            let l1 = w.tables[w.tables.count - 1]
            run.fail(.einval, if: !w.complete)
            run.fail(.einval, if: select(l1, \.xen) || !select(l1, \.type).eq(UInt64(PageType.l1.rawValue)) || !select(l1, \.validated))
            updateEntry(&run, table: l1, slot: narrowed(index(page: page, level: 1), to: size.slotBits), level: 1, r.value, when: always)
        case .tlbFlush:
            break
        case .guestStore:
            run.fail(.einval, if: r.slot.uge(UInt64(size.slots)))
            let (root, loaded) = root(of: r.vcpu)
            let (page, inRange) = page(ofVA: r.va)
            let w = walk(root: root, page: page)
            run.fail(.efault, if: !loaded || !inRange || !w.mapped)
            let target = w.leaf.frame
            let plain = w.writable && !isLivePageTable(target)
            run.state = run.state.settingEntry(target, r.slot, r.value, when: run.ok && plain)
            run.fail(.efault, if: !plain && (select(target, \.xen) || !select(target, \.type).eq(UInt64(PageType.l1.rawValue))
                                             || !select(target, \.validated)))
            updateEntry(&run, table: target, slot: r.slot, level: 1, r.value, when: !plain)
            // A plain write is not `atomically`: no devalidation after it.
            atomic = !plain
        }
        let done = run.state.devalidated(&run)
        return SymbolicOutcome(error: run.error, state: SymbolicXenState.ite(run.ok, SymbolicXenState.ite(atomic, done, run.state), self),
                               assumptions: ctx.and(run.assumptions))
    }
}

import MMUSpec

/// One single-request action, compiled to small integers for the explorer's inner loop.
public struct FastOp: Hashable, Sendable {
    public enum Kind: UInt8, Sendable {
        case mmuUpdate, mmuUpdatePreserveAD, machphys, updateVAMapping, pin, unpin, newBaseptr, tlbFlush, guestStore
    }
    public var kind: Kind
    public var vcpu: UInt8 = 0
    /// mfn (mmu-update pointer, machphys, pin, unpin, new-baseptr).
    public var mfn: UInt8 = 0
    public var slot: UInt8 = 0
    /// Entry value index (`FastXen.values`).
    public var value: UInt8 = 0
    /// Pin level, or machphys pfn.
    public var level: UInt8 = 0
    /// Virtual page (update-va-mapping, guest-store).
    public var page: UInt16 = 0
    /// Position of the action in the model's action list (ties the op to its `XenAction`).
    public var index: UInt32 = 0
}

/// The requests, each with exactly the checks and error codes of `XenState`'s.
extension FastXen {
    /// `do_mmu_update` normal / preserve-AD on the entry `mfn[slot]`.
    func mmuUpdate(_ s: inout FastXenState, mfn: Int, slot: Int, value v: Int, preserveAD: Bool) throws(XenError) {
        if preserveAD && !config.preserveAD { throw .einval }
        guard mfn >= 0, mfn < F, !xenOwned(s, mfn), slot >= 0, slot < E else { throw .einval }
        let m = meta(s, mfn)
        if m & FastXen.validatedBit != 0, (1...4).contains(m & 7) {
            let old = entry(s, mfn, slot)
            let nv = preserveAD ? Int(mergeAD[old &* values.count &+ v]) : v
            try updateEntry(&s, table: mfn, slot: slot, level: Int(m & 7), value: nv)
        } else {
            try getPageType(&s, mfn, FastXen.typeWritable)
            setEntry(&s, mfn, slot, v)
        }
    }

    /// Whether `MMU_PT_UPDATE_PRESERVE_AD` with value `v` does exactly what
    /// `MMU_NORMAL_PT_UPDATE` with `v` does, in every state: the feature is on and no value
    /// the engine can hold has Accessed/Dirty bits for the merge to add to `v`.
    public func preserveADActsAsNormal(value v: PTE) -> Bool {
        guard config.preserveAD, let i = valueIndex[v] else { return false }
        let n = values.count
        return (0..<n).allSatisfy { mergeAD[$0 &* n &+ Int(i)] == i }
    }

    /// `MMU_MACHPHYS_UPDATE`.
    func machphys(_ s: inout FastXenState, mfn: Int, pfn: Int) throws(XenError) {
        guard mfn >= 0, mfn < F, !xenOwned(s, mfn), pfn >= 0, pfn < config.pfns else { throw .einval }
        s[m2pBase &+ mfn] = UInt8(truncatingIfNeeded: pfn + 1)
    }

    /// The hardware walk from `root` for `page`: the L1 table reached (or -1), the leaf value,
    /// and the AND of RW over the upper entries.
    @inline(__always)
    func walkToL1(_ s: FastXenState, root: Int, page: Int) -> (l1: Int, upperRW: Bool) {
        var table = root, rw = true
        var level = L
        while level > 1 {
            let v = entry(s, table, index(page: page, level: level))
            let t = vFrame[v]
            guard t != 0xFF else { return (-1, false) }
            rw = rw && vRW[v]
            table = Int(t)
            level &-= 1
        }
        return (table, rw)
    }

    /// `do_update_va_mapping` through the vCPU's tables.
    func updateVAMapping(_ s: inout FastXenState, vcpu: Int, page: Int, value v: Int) throws(XenError) {
        let root = cr3(s, vcpu)
        guard root >= 0, page >= 0, page < pages else { throw .einval }
        let (l1, _) = walkToL1(s, root: root, page: page)
        guard l1 >= 0, isGuestL1(s, l1) else { throw .einval }
        try updateEntry(&s, table: l1, slot: index(page: page, level: 1), level: 1, value: v)
    }

    /// `MMUEXT_PIN_Ln_TABLE`.
    func pin(_ s: inout FastXenState, level: Int, mfn: Int) throws(XenError) {
        guard level >= 1, level <= L, mfn >= 0, mfn < F, !xenOwned(s, mfn), !pinned(s, mfn) else { throw .einval }
        try getPageType(&s, mfn, FastXen.tableType(level))
        setMeta(&s, mfn, meta(s, mfn) | FastXen.pinnedBit)
        addRef(&s, mfn, type(s, mfn))
    }

    /// `MMUEXT_UNPIN_TABLE`.
    func unpin(_ s: inout FastXenState, mfn: Int) throws(XenError) {
        guard mfn >= 0, mfn < F, !xenOwned(s, mfn), pinned(s, mfn) else { throw .einval }
        setMeta(&s, mfn, meta(s, mfn) & ~FastXen.pinnedBit)
        dropRef(&s, mfn, type(s, mfn))
    }

    /// `MMUEXT_NEW_BASEPTR`.
    func newBaseptr(_ s: inout FastXenState, vcpu: Int, mfn: Int) throws(XenError) {
        guard mfn >= 0, mfn < F, !xenOwned(s, mfn) else { throw .einval }
        try getPageType(&s, mfn, rootType)
        guard vcpu >= 0, vcpu < V else { throw .einval }
        let old = cr3(s, vcpu)
        s[cr3Base &+ vcpu] = UInt8(truncatingIfNeeded: mfn + 1)
        addRef(&s, mfn, rootType)
        if old >= 0 { dropRef(&s, old, rootType) }
    }

    /// What a plain guest store does (`XenState.guestStore`).
    enum StoreKind { case plainWrite, emulated(l1: Int) }

    /// A validated L1 table the guest owns: what `update_va_mapping` changes, and where Xen
    /// emulates a store that is not a plain write.
    @inline(__always)
    func isGuestL1(_ s: FastXenState, _ f: Int) -> Bool {
        !xenOwned(s, f) && meta(s, f) & (7 | FastXen.validatedBit) == 1 | FastXen.validatedBit
    }

    /// Where a guest store at `page` goes, or the error (nothing changed yet).
    func storeTarget(_ s: FastXenState, vcpu: Int, page: Int, slot: Int) -> Result<(frame: Int, kind: StoreKind), XenError> {
        guard vcpu >= 0, vcpu < V, slot >= 0, slot < E else { return .failure(.einval) }
        let root = cr3(s, vcpu)
        guard root >= 0, page >= 0, page < pages else { return .failure(.efault) }
        let (l1, upperRW) = walkToL1(s, root: root, page: page)
        return storeTarget(s, l1: l1, upperRW: upperRW, page: page)
    }

    /// `storeTarget` once the walk for `page` has reached `l1` (-1: it did not) through
    /// upper entries whose RW bits AND to `upperRW`.
    func storeTarget(_ s: FastXenState, l1: Int, upperRW: Bool, page: Int) -> Result<(frame: Int, kind: StoreKind), XenError> {
        guard l1 >= 0 else { return .failure(.efault) }
        let leaf = entry(s, l1, index(page: page, level: 1))
        let t = vFrame[leaf]
        guard t != 0xFF else { return .failure(.efault) }
        let m = Int(t)
        if upperRW && vRW[leaf] && !isLivePageTable(s, m) { return .success((m, .plainWrite)) }
        guard isGuestL1(s, m) else { return .failure(.efault) }
        return .success((m, .emulated(l1: m)))
    }

    /// The request's closing step: devalidate what lost its last type reference.
    @inline(__always)
    func finish(_ s: inout FastXenState) { devalidateUnreferenced(&s) }

    /// The successor of `s` under a compiled single-request action, nil when Xen refuses it
    /// (a refused request changes nothing, so it is no transition). The explorer's inner loop.
    /// `context`: `stepContext(s)`, when the caller computed it for `s` (same result, fewer
    /// walks); borrowed, not copied, for every action.
    public func step(_ s: FastXenState, _ op: FastOp, context: borrowing FastStepContext = .unused) -> FastXenState? {
        var x = s
        do {
            switch op.kind {
            case .mmuUpdate:
                try mmuUpdate(&x, mfn: Int(op.mfn), slot: Int(op.slot), value: Int(op.value), preserveAD: false)
            case .mmuUpdatePreserveAD:
                try mmuUpdate(&x, mfn: Int(op.mfn), slot: Int(op.slot), value: Int(op.value), preserveAD: true)
            case .machphys:
                try machphys(&x, mfn: Int(op.mfn), pfn: Int(op.level))
                return x
            case .updateVAMapping:
                let (vcpu, page) = (Int(op.vcpu), Int(op.page))
                if !context.isEmpty, vcpu < V, page < pages {
                    let l1 = Int(context.vaMapping[vcpu &* pages &+ page])
                    guard l1 >= 0 else { return nil }
                    try updateEntry(&x, table: l1, slot: index(page: page, level: 1), level: 1, value: Int(op.value))
                } else {
                    try updateVAMapping(&x, vcpu: vcpu, page: page, value: Int(op.value))
                }
            case .pin:
                try pin(&x, level: Int(op.level), mfn: Int(op.mfn))
            case .unpin:
                try unpin(&x, mfn: Int(op.mfn))
            case .newBaseptr:
                try newBaseptr(&x, vcpu: Int(op.vcpu), mfn: Int(op.mfn))
            case .tlbFlush:
                return x
            case .guestStore:
                let (vcpu, page, slot) = (Int(op.vcpu), Int(op.page), Int(op.slot))
                let target: Result<(frame: Int, kind: StoreKind), XenError>
                if !context.isEmpty, vcpu < V, page < pages, slot < E {
                    let t = Int(context.store[vcpu &* pages &+ page])
                    guard t >= 0 else { return nil }
                    target = .success(t & 0x100 == 0 ? (t, .plainWrite) : (t & 0xFF, .emulated(l1: t & 0xFF)))
                } else {
                    target = storeTarget(x, vcpu: vcpu, page: page, slot: slot)
                }
                switch target {
                case .failure: return nil
                case .success(let (frame, kind)):
                    switch kind {
                    case .plainWrite:
                        setEntry(&x, frame, slot, Int(op.value))
                        return x
                    case .emulated(let l1):
                        try updateEntry(&x, table: l1, slot: slot, level: 1, value: Int(op.value))
                    }
                }
            }
        } catch {
            return nil
        }
        finish(&x)
        return x
    }

    // MARK: - XenAction (any arguments, batches): for the differential tester and replay

    /// Compile a single request of `action` (nil: a batch, or a value the engine cannot hold).
    public func compile(_ action: XenAction, index: Int = 0) -> FastOp? {
        func small(_ x: Int, _ limit: Int) -> UInt8? { (0..<limit).contains(x) ? UInt8(x) : nil }
        func page(_ va: Int) -> UInt16? {
            guard va >= 0, va < config.addressSpaceSize, va % MMUConfig.pageSize == 0 else { return nil }
            return UInt16(va / MMUConfig.pageSize)
        }
        var op: FastOp
        switch action {
        case .guestStore(let vcpu, let va, let slot, let val):
            guard let v = small(vcpu, V), let p = page(va), let sl = small(slot, E), let x = valueIndex[val] else { return nil }
            op = FastOp(kind: .guestStore, vcpu: v, slot: sl, value: x, page: p)
        case .hypercall(let vcpu, let call):
            guard let v = small(vcpu, V) else { return nil }
            switch call {
            case .updateVAMapping(let va, let val, _):
                guard let p = page(va), let x = valueIndex[val] else { return nil }
                op = FastOp(kind: .updateVAMapping, vcpu: v, value: x, page: p)
            case .mmuUpdate(let rs):
                guard rs.count == 1 else { return nil }
                switch rs[0] {
                case .normal(let ptr, let val), .preserveAD(let ptr, let val):
                    guard let m = small(ptr.mfn, F), let sl = small(ptr.slot, E), let x = valueIndex[val] else { return nil }
                    let preserve: Bool = if case .preserveAD = rs[0] { true } else { false }
                    op = FastOp(kind: preserve ? .mmuUpdatePreserveAD : .mmuUpdate, vcpu: v, mfn: m, slot: sl, value: x)
                case .machphys(let mfn, let pfn):
                    guard let m = small(mfn, F), let p = small(pfn, config.pfns) else { return nil }
                    op = FastOp(kind: .machphys, vcpu: v, mfn: m, level: p)
                }
            case .mmuextOp(let ops):
                guard ops.count == 1 else { return nil }
                switch ops[0] {
                case .pin(let level, let mfn):
                    guard let m = small(mfn, F), let l = small(level, L + 1), l >= 1 else { return nil }
                    op = FastOp(kind: .pin, vcpu: v, mfn: m, level: l)
                case .unpin(let mfn):
                    guard let m = small(mfn, F) else { return nil }
                    op = FastOp(kind: .unpin, vcpu: v, mfn: m)
                case .newBaseptr(let mfn):
                    guard let m = small(mfn, F) else { return nil }
                    op = FastOp(kind: .newBaseptr, vcpu: v, mfn: m)
                case .tlbFlush:
                    op = FastOp(kind: .tlbFlush, vcpu: v)
                }
            }
        }
        op.index = UInt32(truncatingIfNeeded: index)
        return op
    }

    /// Perform any action, with any arguments and batches, as `XenState` does: the same
    /// result (requests done, first error) for the same call. nil when an entry value is one
    /// the engine cannot hold (not from its value table).
    public func perform(_ action: XenAction, on s: inout FastXenState) -> HypercallResult? {
        func request(_ body: (inout FastXenState) throws(XenError) -> Void) -> XenError? {
            var x = s
            do { try body(&x) } catch { return error }
            finish(&x)
            s = x
            return nil
        }
        func value(_ p: PTE) -> Int? { valueIndex[p].map(Int.init) }
        func page(_ va: Int) -> Int { va >= 0 && va < config.addressSpaceSize ? va / MMUConfig.pageSize : -1 }
        switch action {
        case .guestStore(let vcpu, let va, let slot, let val):
            guard let v = value(val) else { return nil }
            switch storeTarget(s, vcpu: vcpu, page: page(va), slot: slot) {
            case .failure(let e): return HypercallResult(done: 0, error: e)
            case .success(let (frame, kind)):
                switch kind {
                case .plainWrite:
                    setEntry(&s, frame, slot, v)
                    return HypercallResult(done: 1, error: nil)
                case .emulated(let l1):
                    let e = request { (x: inout FastXenState) throws(XenError) in try updateEntry(&x, table: l1, slot: slot, level: 1, value: v) }
                    return HypercallResult(done: e == nil ? 1 : 0, error: e)
                }
            }
        case .hypercall(let vcpu, let call):
            guard vcpu >= 0, vcpu < V else { return HypercallResult(done: 0, error: .einval) }
            switch call {
            case .updateVAMapping(let va, let val, _):
                guard let v = value(val) else { return nil }
                let e = request { (x: inout FastXenState) throws(XenError) in try updateVAMapping(&x, vcpu: vcpu, page: page(va), value: v) }
                return HypercallResult(done: e == nil ? 1 : 0, error: e)
            case .mmuUpdate(let rs):
                for (i, r) in rs.enumerated() {
                    let e: XenError?
                    switch r {
                    case .normal(let ptr, let val), .preserveAD(let ptr, let val):
                        guard let v = value(val) else { return nil }
                        let preserve: Bool = if case .preserveAD = r { true } else { false }
                        e = request { (x: inout FastXenState) throws(XenError) in try mmuUpdate(&x, mfn: ptr.mfn, slot: ptr.slot, value: v, preserveAD: preserve) }
                    case .machphys(let mfn, let pfn):
                        e = request { (x: inout FastXenState) throws(XenError) in try machphys(&x, mfn: mfn, pfn: pfn) }
                    }
                    if let e { return HypercallResult(done: i, error: e) }
                }
                return HypercallResult(done: rs.count, error: nil)
            case .mmuextOp(let ops):
                for (i, op) in ops.enumerated() {
                    let e = request { (x: inout FastXenState) throws(XenError) in
                        switch op {
                        case .pin(let level, let mfn): try pin(&x, level: level, mfn: mfn)
                        case .unpin(let mfn): try unpin(&x, mfn: mfn)
                        case .newBaseptr(let mfn): try newBaseptr(&x, vcpu: vcpu, mfn: mfn)
                        case .tlbFlush: break
                        }
                    }
                    if let e { return HypercallResult(done: i, error: e) }
                }
                return HypercallResult(done: ops.count, error: nil)
            }
        }
    }
}

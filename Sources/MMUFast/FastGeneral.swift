import MMUSpec

/// Any `XenAction` (any arguments, batches) on the fast engine: the general path the
/// differential tester and replay use, and the compilation of single requests for `step`.
/// Both read actions through `XenRequest` (the operation table's uniform shape).
extension FastXen {
    /// Compile a single request of `action` (nil: a batch, or an argument the engine's byte
    /// fields or value table cannot hold).
    public func compile(_ action: XenAction, index: Int = 0) -> FastOp? {
        let rs = action.requests
        guard rs.count == 1, let r = rs.first else { return nil }
        func small(_ x: Int, _ limit: Int) -> UInt8? { (0..<limit).contains(x) ? UInt8(x) : nil }
        guard let vcpu = small(action.vcpu, vcpuCount) else { return nil }
        var op = FastOp(kind: r.operation, vcpu: vcpu)
        for argument in r.operation.arguments {
            switch argument {
            case .frame: guard let m = small(r.frame, frameCount) else { return nil }; op.mfn = m
            case .slot: guard let s = small(r.slot, slotCount) else { return nil }; op.slot = s
            case .value: guard let x = valueIndex[r.value] else { return nil }; op.value = x
            case .pfn: guard let p = small(r.pfn, config.pfns) else { return nil }; op.pfn = p
            case .level: guard let l = small(r.level, levelCount + 1), l >= 1 else { return nil }; op.level = l
            case .va:
                guard r.va >= 0, r.va < config.addressSpaceSize, r.va % MMUConfig.pageSize == 0 else { return nil }
                op.page = UInt16(r.va / MMUConfig.pageSize)
            case .flush: break   // no TLB: the flags change nothing
            }
        }
        op.index = UInt32(truncatingIfNeeded: index)
        return op
    }

    /// Perform any action, with any arguments and batches, as `XenState` does: the same
    /// result (requests done, first error) for the same call, batches through
    /// `HypercallBatch.stopAtFirstFailure` as the spec's. nil when an entry value is one the
    /// engine cannot hold (not from its value table); then nothing is done.
    public func perform(_ action: XenAction, on s: inout FastXenState) -> HypercallResult? {
        let rs = action.requests
        guard rs.allSatisfy({ !$0.operation.arguments.contains(.value) || valueIndex[$0.value] != nil }) else { return nil }
        /// One request, atomic: applied (and devalidation run) only when nothing threw.
        func request(_ body: (inout FastXenState) throws(XenError) -> Void) -> XenError? {
            var x = s
            do { try body(&x) } catch { return error }
            finish(&x)
            s = x
            return nil
        }
        func page(_ va: Int) -> Int { va >= 0 && va < config.addressSpaceSize ? va / MMUConfig.pageSize : -1 }
        let vcpu = action.vcpu
        switch action {
        case .guestStore(_, let va, let slot, let val):
            let v = Int(valueIndex[val]!)
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
        case .hypercall(_, let call):
            guard vcpu >= 0, vcpu < vcpuCount else { return HypercallResult(done: 0, error: .einval) }
            if case .updateVAMapping(let va, let val, _) = call {
                let v = Int(valueIndex[val]!)
                let e = request { (x: inout FastXenState) throws(XenError) in try updateVAMapping(&x, vcpu: vcpu, page: page(va), value: v) }
                return HypercallResult(done: e == nil ? 1 : 0, error: e)
            }
            return HypercallBatch.stopAtFirstFailure(rs) { r in
                request { (x: inout FastXenState) throws(XenError) in try apply(r, vcpu: vcpu, on: &x) }
            }
        }
    }

    /// One request of an `mmu_update` or `mmuext_op` batch.
    private func apply(_ r: XenRequest, vcpu: Int, on x: inout FastXenState) throws(XenError) {
        func value() -> Int { Int(valueIndex[r.value]!) }   // checked by `perform`
        switch r.operation {
        case .mmuUpdate: try mmuUpdate(&x, mfn: r.frame, slot: r.slot, value: value(), preserveAD: false)
        case .mmuUpdatePreserveAD: try mmuUpdate(&x, mfn: r.frame, slot: r.slot, value: value(), preserveAD: true)
        case .mmuUpdateMachphys: try machphys(&x, mfn: r.frame, pfn: r.pfn)
        case .pin: try pin(&x, level: r.level, mfn: r.frame)
        case .unpin: try unpin(&x, mfn: r.frame)
        case .newBaseptr: try newBaseptr(&x, vcpu: vcpu, mfn: r.frame)
        case .tlbFlush: break
        case .updateVAMapping, .guestStore: throw .einval   // not batch requests: `perform` runs them alone
        }
    }
}

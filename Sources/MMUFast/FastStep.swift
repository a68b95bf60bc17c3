import MMUSpec

/// The explorer's inner loop: one compiled single-request action on a packed state.
extension FastXen {
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
            case .mmuUpdateMachphys:
                try machphys(&x, mfn: Int(op.mfn), pfn: Int(op.pfn))
                return x
            case .updateVAMapping:
                let (vcpu, page) = (Int(op.vcpu), Int(op.page))
                if !context.isEmpty, vcpu < vcpuCount, page < pages {
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
                if !context.isEmpty, vcpu < vcpuCount, page < pages, slot < slotCount {
                    let t = Int(context.store[vcpu &* pages &+ page])
                    guard t >= 0 else { return nil }
                    let frame = t & FastStepContext.frameBits
                    target = .success(t & FastStepContext.emulatedBit == 0 ? (frame, .plainWrite) : (frame, .emulated(l1: frame)))
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
}

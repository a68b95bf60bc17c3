/// One request of any hypervisor operation, in one uniform shape: the operation and its
/// arguments as fields (a field the operation does not declare in `XenOperation.arguments`
/// is ignored). It is how code that treats every operation alike — enumeration, renaming,
/// random draws, compilation for the fast engine — reads and builds `XenAction`s without a
/// switch of its own over the interface's enums.
public struct XenRequest: Hashable, Sendable {
    public var operation: XenOperation
    public var frame = 0
    public var slot = 0
    public var value = PTE.none
    public var pfn = 0
    public var level = 0
    public var va = 0
    public var flush = UVMFFlush.none

    public init(_ operation: XenOperation) { self.operation = operation }

    /// The request with argument `argument` set to `x` (`value`: `values[x]`; `flush`: the
    /// `UVMFFlush` of raw value `x`, `.none` when there is none).
    public func setting(_ argument: XenArgument, _ x: Int, values: [PTE]) -> XenRequest {
        var r = self
        switch argument {
        case .frame: r.frame = x
        case .slot: r.slot = x
        case .value: r.value = values.indices.contains(x) ? values[x] : .none
        case .pfn: r.pfn = x
        case .level: r.level = x
        case .va: r.va = x
        case .flush: r.flush = UVMFFlush(rawValue: x) ?? .none
        }
        return r
    }

    /// The same request with frames renamed by `frame` (mfns, and the frame of a present
    /// entry value: a non-present entry's number is guest data Xen never reads), slots by
    /// `slot` and addresses by `va`, each applied to exactly the arguments the operation
    /// declares. The symmetries of `XenSymmetry.swift` are built on it.
    public func renamed(frame m: (Int) -> Int, slot s: (Int) -> Int, va a: (Int) -> Int) -> XenRequest {
        var r = self
        for argument in operation.arguments {
            switch argument {
            case .frame: r.frame = m(frame)
            case .slot: r.slot = s(slot)
            case .value: if value.isPresent { r.value = PTE(frame: m(value.frame), flags: value.flags) }
            case .va: r.va = a(va)
            case .pfn, .level, .flush: break
            }
        }
        return r
    }
}

extension XenAction {
    /// The action on `vcpu` made of `requests`, which must all be requests of one hypercall:
    /// `mmu-update*` requests one `mmu_update` batch, `pin` / `unpin` / `new-baseptr` /
    /// `tlb-flush` one `mmuext_op` batch; `update-va-mapping` and `guest-store` stand alone.
    /// nil when they do not fit one call (or there are none).
    public init?(vcpu: Int, requests: [XenRequest]) {
        guard let first = requests.first else { return nil }
        switch first.operation {
        case .mmuUpdate, .mmuUpdatePreserveAD, .mmuUpdateMachphys:
            var rs: [MMUUpdateRequest] = []
            for r in requests {
                let ptr = EntryRef(mfn: r.frame, slot: r.slot)
                switch r.operation {
                case .mmuUpdate: rs.append(.normal(ptr: ptr, val: r.value))
                case .mmuUpdatePreserveAD: rs.append(.preserveAD(ptr: ptr, val: r.value))
                case .mmuUpdateMachphys: rs.append(.machphys(mfn: r.frame, pfn: r.pfn))
                case .pin, .unpin, .newBaseptr, .tlbFlush, .updateVAMapping, .guestStore: return nil
                }
            }
            self = .hypercall(vcpu: vcpu, .mmuUpdate(rs))
        case .pin, .unpin, .newBaseptr, .tlbFlush:
            var ops: [MMUExtOp] = []
            for r in requests {
                switch r.operation {
                case .pin: ops.append(.pin(level: r.level, mfn: r.frame))
                case .unpin: ops.append(.unpin(mfn: r.frame))
                case .newBaseptr: ops.append(.newBaseptr(mfn: r.frame))
                case .tlbFlush: ops.append(.tlbFlush)
                case .mmuUpdate, .mmuUpdatePreserveAD, .mmuUpdateMachphys, .updateVAMapping, .guestStore: return nil
                }
            }
            self = .hypercall(vcpu: vcpu, .mmuextOp(ops))
        case .updateVAMapping:
            guard requests.count == 1 else { return nil }
            self = .hypercall(vcpu: vcpu, .updateVAMapping(va: first.va, val: first.value, flush: first.flush))
        case .guestStore:
            guard requests.count == 1 else { return nil }
            self = .guestStore(vcpu: vcpu, va: first.va, slot: first.slot, val: first.value)
        }
    }

    /// The action's requests, in order (an empty batch has none).
    public var requests: [XenRequest] {
        switch self {
        case .guestStore(_, let va, let slot, let val):
            var r = XenRequest(.guestStore)
            r.va = va; r.slot = slot; r.value = val
            return [r]
        case .hypercall(_, let call):
            switch call {
            case .updateVAMapping(let va, let val, let flush):
                var r = XenRequest(.updateVAMapping)
                r.va = va; r.value = val; r.flush = flush
                return [r]
            case .mmuUpdate(let rs):
                return rs.map { q in
                    switch q {
                    case .normal(let ptr, let val), .preserveAD(let ptr, let val):
                        var r = XenRequest(q.isPreserveAD ? .mmuUpdatePreserveAD : .mmuUpdate)
                        r.frame = ptr.mfn; r.slot = ptr.slot; r.value = val
                        return r
                    case .machphys(let mfn, let pfn):
                        var r = XenRequest(.mmuUpdateMachphys)
                        r.frame = mfn; r.pfn = pfn
                        return r
                    }
                }
            case .mmuextOp(let ops):
                return ops.map { op in
                    switch op {
                    case .pin(let level, let mfn):
                        var r = XenRequest(.pin)
                        r.level = level; r.frame = mfn
                        return r
                    case .unpin(let mfn):
                        var r = XenRequest(.unpin)
                        r.frame = mfn
                        return r
                    case .newBaseptr(let mfn):
                        var r = XenRequest(.newBaseptr)
                        r.frame = mfn
                        return r
                    case .tlbFlush:
                        return XenRequest(.tlbFlush)
                    }
                }
            }
        }
    }

    /// The same action with every request `renamed` (see `XenRequest.renamed`).
    public func renamed(frame: (Int) -> Int, slot: (Int) -> Int, va: (Int) -> Int) -> XenAction {
        let rs = requests
        if rs.isEmpty { return self }
        // Renaming keeps every request's operation, so the requests still form this call.
        guard let renamed = XenAction(vcpu: vcpu, requests: rs.map { $0.renamed(frame: frame, slot: slot, va: va) }) else {
            preconditionFailure("renaming changed the requests of \(self) into ones that do not form a call")
        }
        return renamed
    }
}

extension MMUUpdateRequest {
    /// `MMU_PT_UPDATE_PRESERVE_AD`.
    var isPreserveAD: Bool { if case .preserveAD = self { true } else { false } }
}

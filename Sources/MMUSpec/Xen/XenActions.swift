/// The adversarial guest: every hypervisor operation with every argument in range.

/// One step of the adversarial hypervisor model (what the explorer enumerates).
public enum XenAction: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A hypercall issued on a vCPU (the enumeration uses single-request batches).
    case hypercall(vcpu: Int, Hypercall)
    /// A plain store by the guest (`XenState.guestStore`).
    case guestStore(vcpu: Int, va: Int, slot: Int, val: PTE)

    /// Every operation name, as code, docs and traces spell it (`XenOperation`'s table).
    public static var operationNames: [String] { XenOperation.names }

    /// The operation of the action's first request (nil: an empty batch).
    public var operation: XenOperation? { requests.first?.operation }

    /// The kebab-case operation name. A batch is named after its first request
    /// (an empty batch: "mmu-update" / "mmuext-op").
    public var name: String {
        if let op = operation { return op.name }
        // Only a batch can be empty.
        switch self {
        case .hypercall(_, .mmuextOp): return "mmuext-op"
        case .hypercall(_, .mmuUpdate), .hypercall(_, .updateVAMapping), .guestStore: return XenOperation.mmuUpdate.name
        }
    }

    /// The vCPU the action runs on.
    public var vcpu: Int {
        switch self {
        case .hypercall(let v, _), .guestStore(let v, _, _, _): v
        }
    }

    /// `name(arguments) @vN`, e.g. `pin(level: 2, mfn: 0) @v0`.
    public var description: String {
        // An address as a 64-bit guest passes it (a negative one is its bit pattern).
        func hex(_ va: Int) -> String { "0x" + String(UInt(bitPattern: va), radix: 16) }
        let rs = requests
        if rs.count > 1, Set(rs.map(\.operation)).count > 1, case .hypercall(let v, let call) = self {
            // A batch of several kinds of request: each named, under the hypercall's name.
            let inner = rs.compactMap { XenAction(vcpu: v, requests: [$0])?.description }
                .map { $0.hasSuffix(" @v\(v)") ? String($0.dropLast(" @v\(v)".count)) : $0 }
            if case .mmuUpdate = call { return "mmu_update[" + inner.joined(separator: "; ") + "] @v\(v)" }
            return "mmuext_op[" + inner.joined(separator: "; ") + "] @v\(v)"
        }
        switch self {
        case .guestStore(let v, let va, let slot, let val):
            return "guest-store(va: \(hex(va)), slot: \(slot), val: \(val)) @v\(v)"
        case .hypercall(let v, let call):
            let args: String
            switch call {
            case .updateVAMapping(let va, let val, let flush):
                args = "va: \(hex(va)), val: \(val), flush: \(flush)"
            case .mmuUpdate(let rs):
                args = rs.map { r -> String in
                    switch r {
                    case .normal(let p, let val), .preserveAD(let p, let val): "ptr: \(p), val: \(val)"
                    case .machphys(let mfn, let pfn): "mfn: \(mfn), pfn: \(pfn)"
                    }
                }.joined(separator: "; ")
            case .mmuextOp(let ops):
                args = ops.map { op -> String in
                    switch op {
                    case .pin(let level, let mfn): "level: \(level), mfn: \(mfn)"
                    case .unpin(let mfn), .newBaseptr(let mfn): "mfn: \(mfn)"
                    case .tlbFlush: ""
                    }
                }.joined(separator: "; ")
            }
            return "\(name)(\(args)) @v\(v)"
        }
    }
}

/// A hypercall prints as the action that issues it, without the vCPU (`name(arguments)`,
/// hex addresses, Xen's flag names): one format for actions, guest logs and BUG messages.
extension Hypercall: CustomStringConvertible {
    public var description: String {
        let text = XenAction.hypercall(vcpu: 0, self).description
        return text.hasSuffix(" @v0") ? String(text.dropLast(4)) : text
    }
}

/// The answer to one `XenAction`.
public enum XenActionResult: Hashable, Sendable, Codable, CustomStringConvertible {
    case ok
    case failed(XenError)
    public var error: XenError? { if case .failed(let e) = self { e } else { nil } }
    public var succeeded: Bool { error == nil }
    public var description: String { error.map(\.description) ?? "ok" }
}

extension XenState {
    /// Every value an entry may be given: `PTE.none`, then every frame with every flag
    /// choice (frame-major), in that order.
    public static func entryValues(config: MMUConfig, flagChoices: [PTEFlags]) -> [PTE] {
        var values = [PTE.none]
        for f in 0..<max(0, config.machineFrames) {
            for flags in flagChoices { values.append(PTE(frame: f, flags: flags)) }
        }
        return values
    }

    /// The adversarial guest: every hypervisor action the explorer generates
    /// (`XenOperation.offered`) with every argument in its domain (`XenArgument.domain`), in a
    /// fixed order. Operations whose effect does not depend on the vCPU (`mmu-update*`,
    /// `pin`, `unpin`) are offered on vCPU 0 only; `new-baseptr`, `update-va-mapping` and
    /// `guest-store` on every vCPU. `update-va-mapping` always uses `UVMFFlush.none` (the
    /// model has no TLB, the flag changes nothing) and `tlb-flush` is left out (a no-op).
    /// `mmu-update-preserve-ad` is offered only when `config.preserveAD`.
    public static func allActions(config: MMUConfig, flagChoices: [PTEFlags]) -> [XenAction] {
        actions(of: XenOperation.allCases.filter { $0.offered(config) }, config: config, flagChoices: flagChoices)
    }

    /// Every action of `operations` with every argument in its domain: first the operations
    /// offered on vCPU 0 only, in table order, then for each vCPU those offered on every vCPU;
    /// within an operation its arguments vary outermost first (`XenOperation.arguments`).
    public static func actions(of operations: [XenOperation], config: MMUConfig, flagChoices: [PTEFlags]) -> [XenAction] {
        let values = entryValues(config: config, flagChoices: flagChoices)
        var out: [XenAction] = []
        func enumerate(_ op: XenOperation, vcpu: Int) {
            let arguments = op.arguments
            func fill(_ k: Int, _ r: XenRequest) {
                if k == arguments.count {
                    if let a = XenAction(vcpu: vcpu, requests: [r]) { out.append(a) }
                    return
                }
                for x in arguments[k].domain(config, values: values.count) {
                    fill(k + 1, r.setting(arguments[k], x, values: values))
                }
            }
            fill(0, XenRequest(op))
        }
        for op in operations where !op.perVCPU { enumerate(op, vcpu: 0) }
        for v in 0..<max(0, config.vcpus) {
            for op in operations where op.perVCPU { enumerate(op, vcpu: v) }
        }
        return out
    }

    /// Requests Xen must refuse (the differential tester's out-of-range draws), derived from
    /// the operation table: for every operation, its
    /// vCPU and each of its arguments in turn just outside the domain
    /// (`XenArgument.outOfRange`), the others at their first value; and every operation the
    /// configuration does not offer though the explorer generates it elsewhere
    /// (`mmu-update-preserve-ad` without the feature).
    public static func outOfRangeActions(config: MMUConfig) -> [XenAction] {
        var out: [XenAction] = []
        for op in XenOperation.allCases {
            var base = XenRequest(op)
            for argument in op.arguments {
                base = base.setting(argument, argument.domain(config, values: 1).first ?? 0, values: [.none])
            }
            for v in [-1, config.vcpus] { if let a = XenAction(vcpu: v, requests: [base]) { out.append(a) } }
            for argument in op.arguments {
                for x in argument.outOfRange(config) {
                    if let a = XenAction(vcpu: 0, requests: [base.setting(argument, x, values: [.none])]) { out.append(a) }
                }
            }
            if op.explored && !op.offered(config), let a = XenAction(vcpu: 0, requests: [base]) { out.append(a) }
        }
        return out
    }

    /// Perform one action.
    public mutating func apply(_ action: XenAction) -> XenActionResult {
        switch action {
        case .hypercall(let vcpu, let call):
            let r = hypercall(call, vcpu: vcpu)
            return r.error.map(XenActionResult.failed) ?? .ok
        case .guestStore(let vcpu, let va, let slot, let val):
            switch guestStore(vcpu: vcpu, va: va, slot: slot, val: val) {
            case .success: return .ok
            case .failure(let e): return .failed(e)
            }
        }
    }
}

/// The adversarial guest: every hypervisor operation with every argument in range.

/// One step of the adversarial hypervisor model (what the explorer enumerates).
public enum XenAction: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A hypercall issued on a vCPU (the enumeration uses single-request batches).
    case hypercall(vcpu: Int, Hypercall)
    /// A plain store by the guest (`XenState.guestStore`).
    case guestStore(vcpu: Int, va: Int, slot: Int, val: PTE)

    /// Every operation name, as code, docs and traces spell it.
    public static let operationNames: [String] = [
        "mmu-update", "mmu-update-preserve-ad", "mmu-update-machphys", "update-va-mapping",
        "pin", "unpin", "new-baseptr", "tlb-flush", "guest-store",
    ]

    /// The kebab-case operation name. A batch is named after its first request
    /// (an empty batch: "mmu-update" / "mmuext-op").
    public var name: String {
        switch self {
        case .guestStore: return "guest-store"
        case .hypercall(_, let call):
            switch call {
            case .updateVAMapping: return "update-va-mapping"
            case .mmuUpdate(let rs):
                switch rs.first {
                case .normal?, nil: return "mmu-update"
                case .preserveAD?: return "mmu-update-preserve-ad"
                case .machphys?: return "mmu-update-machphys"
                }
            case .mmuextOp(let ops):
                switch ops.first {
                case .pin?: return "pin"
                case .unpin?: return "unpin"
                case .newBaseptr?: return "new-baseptr"
                case .tlbFlush?: return "tlb-flush"
                case nil: return "mmuext-op"
                }
            }
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
        func hex(_ va: Int) -> String { "0x" + String(va, radix: 16) }
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

    /// The adversarial guest: every hypervisor action with every argument in range, in a
    /// fixed order. Operations whose effect does not depend on the vCPU (`mmu-update*`,
    /// `pin`, `unpin`) are offered on vCPU 0 only; `update-va-mapping`, `new-baseptr` and
    /// `guest-store` on every vCPU. `update-va-mapping` always uses `UVMFFlush.none` (the
    /// model has no TLB, the flag changes nothing) and `tlb-flush` is left out (a no-op).
    /// `mmu-update-preserve-ad` is offered only when `config.preserveAD`.
    public static func allActions(config: MMUConfig, flagChoices: [PTEFlags]) -> [XenAction] {
        let frames = 0..<max(0, config.machineFrames)
        let slots = 0..<max(0, config.entriesPerTable)
        let values = entryValues(config: config, flagChoices: flagChoices)
        let vas = stride(from: 0, to: config.addressSpaceSize, by: MMUConfig.pageSize)
        var out: [XenAction] = []
        let v0 = 0
        for mfn in frames {
            for slot in slots {
                for val in values {
                    out.append(.hypercall(vcpu: v0, .mmuUpdate([.normal(ptr: EntryRef(mfn: mfn, slot: slot), val: val)])))
                }
            }
        }
        if config.preserveAD {
            for mfn in frames {
                for slot in slots {
                    for val in values {
                        out.append(.hypercall(vcpu: v0, .mmuUpdate([.preserveAD(ptr: EntryRef(mfn: mfn, slot: slot), val: val)])))
                    }
                }
            }
        }
        for mfn in frames {
            for pfn in 0..<max(0, config.pfns) {
                out.append(.hypercall(vcpu: v0, .mmuUpdate([.machphys(mfn: mfn, pfn: pfn)])))
            }
        }
        for level in 1...max(1, config.levels) {
            for mfn in frames { out.append(.hypercall(vcpu: v0, .mmuextOp([.pin(level: level, mfn: mfn)]))) }
        }
        for mfn in frames { out.append(.hypercall(vcpu: v0, .mmuextOp([.unpin(mfn: mfn)]))) }
        for v in 0..<max(0, config.vcpus) {
            for mfn in frames { out.append(.hypercall(vcpu: v, .mmuextOp([.newBaseptr(mfn: mfn)]))) }
            for va in vas {
                for val in values {
                    out.append(.hypercall(vcpu: v, .updateVAMapping(va: va, val: val, flush: .none)))
                }
            }
            for va in vas {
                for slot in slots {
                    for val in values { out.append(.guestStore(vcpu: v, va: va, slot: slot, val: val)) }
                }
            }
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

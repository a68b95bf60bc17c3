/// The hypervisor's operations: one case each, and everything said about an operation once.
///
/// Every list of operations is derived from this table: the names specs, traces, `list` and
/// the docs use, what the explorer generates (`XenState.allActions`), the differential
/// tester's pool and its out-of-range draws, how a renaming of frames or entry slots acts on
/// an action (`XenRequest.renamed`: by the arguments declared here, with no catch-all), and
/// the fast engine's compiled operations (`FastOp.kind` is this type). Adding a case fails to
/// compile until its arguments, its request (`XenRequest`), its rule in `XenState` and its
/// rule in the fast engine (`FastXen.step` / `perform`) exist.
///
/// The order of the cases is the explorer's order (traces record action indices): the
/// operations offered on vCPU 0 only come first, then, for each vCPU, those offered on every
/// vCPU.
public enum XenOperation: UInt8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case mmuUpdate
    case mmuUpdatePreserveAD
    case mmuUpdateMachphys
    case pin
    case unpin
    case newBaseptr
    case updateVAMapping
    case tlbFlush
    case guestStore

    /// The stable kebab-case name, as code, output, specs and docs spell it.
    public var name: String {
        switch self {
        case .mmuUpdate: "mmu-update"
        case .mmuUpdatePreserveAD: "mmu-update-preserve-ad"
        case .mmuUpdateMachphys: "mmu-update-machphys"
        case .pin: "pin"
        case .unpin: "unpin"
        case .newBaseptr: "new-baseptr"
        case .updateVAMapping: "update-va-mapping"
        case .tlbFlush: "tlb-flush"
        case .guestStore: "guest-store"
        }
    }

    public var description: String { name }

    /// The operation named `name`, nil if none is.
    public init?(name: String) {
        guard let op = XenOperation.allCases.first(where: { $0.name == name }) else { return nil }
        self = op
    }

    /// Every name, in table order.
    public static let names: [String] = allCases.map(\.name)

    /// The request of Xen's interface and the function of `xen/arch/x86/mm.c` the rule follows.
    public var xen: String {
        switch self {
        case .mmuUpdate: "MMU_NORMAL_PT_UPDATE (do_mmu_update, mod_lN_entry)"
        case .mmuUpdatePreserveAD: "MMU_PT_UPDATE_PRESERVE_AD (do_mmu_update, mod_lN_entry)"
        case .mmuUpdateMachphys: "MMU_MACHPHYS_UPDATE (do_mmu_update)"
        case .pin: "MMUEXT_PIN_L1_TABLE .. MMUEXT_PIN_L4_TABLE (do_mmuext_op)"
        case .unpin: "MMUEXT_UNPIN_TABLE (do_mmuext_op)"
        case .newBaseptr: "MMUEXT_NEW_BASEPTR (do_mmuext_op, new_guest_cr3)"
        case .updateVAMapping: "HYPERVISOR_update_va_mapping (do_update_va_mapping)"
        case .tlbFlush: "MMUEXT_TLB_FLUSH_LOCAL (do_mmuext_op)"
        case .guestStore: "a plain store; the writable-pagetable assist (ptwr_do_page_fault)"
        }
    }

    /// Whether the explorer generates it. `tlb-flush` changes nothing in a model without a
    /// TLB (docs/model.md, simplification 9): it exists for traces, scenarios and `diff`.
    public var explored: Bool {
        switch self {
        case .tlbFlush: false
        case .mmuUpdate, .mmuUpdatePreserveAD, .mmuUpdateMachphys, .pin, .unpin, .newBaseptr, .updateVAMapping, .guestStore: true
        }
    }

    /// The feature of `MMUConfig` the operation needs (nil: none): without it Xen refuses
    /// every such request (`-EINVAL`), so the explorer does not offer it.
    public func featureMissing(_ config: MMUConfig) -> String? {
        switch self {
        case .mmuUpdatePreserveAD: config.preserveAD ? nil : "preserve-ad"
        case .mmuUpdate, .mmuUpdateMachphys, .pin, .unpin, .newBaseptr, .updateVAMapping, .tlbFlush, .guestStore: nil
        }
    }

    /// Whether the operation's effect depends on the calling vCPU (its cr3): then it is offered
    /// on every vCPU; the others are offered on vCPU 0 only (the same effect on any vCPU).
    public var perVCPU: Bool {
        switch self {
        case .newBaseptr, .updateVAMapping, .guestStore, .tlbFlush: true
        case .mmuUpdate, .mmuUpdatePreserveAD, .mmuUpdateMachphys, .pin, .unpin: false
        }
    }

    /// Whether the explorer offers it under `config`: explored, and the feature it needs is on
    /// (`mmu-update-preserve-ad` needs `config.preserveAD`; without it Xen refuses the request).
    public func offered(_ config: MMUConfig) -> Bool { explored && featureMissing(config) == nil }

    /// The operation's arguments besides the vCPU, outermost first: the order the explorer
    /// enumerates them in. Exactly the `XenRequest` fields the operation reads (a test holds
    /// the two together).
    public var arguments: [XenArgument] {
        switch self {
        case .mmuUpdate, .mmuUpdatePreserveAD: [.frame, .slot, .value]
        case .mmuUpdateMachphys: [.frame, .pfn]
        case .pin: [.level, .frame]
        case .unpin, .newBaseptr: [.frame]
        case .updateVAMapping: [.va, .value, .flush]
        case .tlbFlush: []
        case .guestStore: [.va, .slot, .value]
        }
    }
}

/// One kind of argument of a hypervisor operation: its domain at a configuration, the values
/// just outside it, and how the symmetries act on it.
public enum XenArgument: String, CaseIterable, Hashable, Sendable {
    /// A machine frame number (mfn). Renamed by a renaming of frames.
    case frame
    /// A table slot. Renamed by a renaming of slots.
    case slot
    /// An entry value (`PTE`): its frame is renamed by a renaming of frames when present.
    case value
    /// A pfn (`mmu-update-machphys`'s m2p value): guest data, never renamed.
    case pfn
    /// A page-table level (pin). Never renamed.
    case level
    /// A virtual address, page aligned. Renamed digit by digit by a renaming of slots.
    case va
    /// `update_va_mapping`'s `UVMF_*` flags: no effect in a model without a TLB; the explorer
    /// uses `UVMFFlush.none` only.
    case flush

    /// The values the explorer enumerates, as integers (`value`: indices into the entry values).
    public func domain(_ config: MMUConfig, values: Int) -> [Int] {
        switch self {
        case .frame: Array(0..<max(0, config.machineFrames))
        case .slot: Array(0..<max(0, config.entriesPerTable))
        case .value: Array(0..<max(0, values))
        case .pfn: Array(0..<max(0, config.pfns))
        case .level: Array(1...max(1, config.levels))
        case .va: Array(stride(from: 0, to: max(0, config.addressSpaceSize), by: MMUConfig.pageSize))
        case .flush: [UVMFFlush.none.rawValue]
        }
    }

    /// The nearest values outside the domain (Xen must refuse them): one below, one past the end.
    /// None for entry values and flush flags (every value is a value Xen judges by its rules).
    public func outOfRange(_ config: MMUConfig) -> [Int] {
        switch self {
        case .frame: [-1, config.machineFrames]
        case .slot: [-1, config.entriesPerTable]
        case .pfn: [-1, config.pfns]
        case .level: [0, config.levels + 1]
        case .va: [-MMUConfig.pageSize, config.addressSpaceSize]
        case .value, .flush: []
        }
    }
}

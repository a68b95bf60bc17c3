import MMUSpec

/// A model state as the HTML trace viewer draws it (`TraceViewer`): frames with their
/// bookkeeping and entries, each vCPU's cr3, and at the guest level each CPU's mm, lazy mode
/// and multicall queue, the mms and the p2m. Built from the typed state, so the page shows
/// what the model holds in the words `StateReport` uses; nothing here is read back.
public struct StateView: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public let slot: Int
        /// The frame a present entry maps (nil: not present, or no such frame).
        public let target: Int?
        public let flags: String
        /// As the model prints it (`PTE.description`), "-" when empty.
        public let text: String
    }
    public struct Frame: Codable, Sendable, Equatable {
        public let mfn: Int
        public let owner: String
        public let type: String
        public let typeCount: Int
        public let generalCount: Int
        public let validated: Bool
        public let pinned: Bool
        /// The m2p entry (nil: INVALID_M2P_ENTRY).
        public let pfn: Int?
        /// At the guest level: what the guest uses the frame for ("mm 1 PT_PGD", "PagePinned").
        public let roles: [String]
        public let entries: [Entry]
    }
    public struct CPU: Codable, Sendable, Equatable {
        public let cpu: Int
        public let mm: String
        public let lazyMode: String
        /// Multicall entries queued in the CPU's buffer, then those in flight.
        public let queued: [String]
        public let inFlight: [String]
        /// Everything else `StateReport` says about the CPU.
        public let details: [String]
    }
    public let frames: [Frame]
    /// [vcpu]: the loaded root's mfn (nil: none).
    public let cr3: [Int?]
    public let cpus: [CPU]
    /// At the guest level: the mms, the p2m, PagePinned, a BUG.
    public let guest: [String]
    /// The whole state as `replay --show-state` prints it.
    public let lines: [String]

    public init(_ x: XenState) { self.init(x, guest: nil) }

    public init(_ g: GuestState) { self.init(g.xen, guest: g) }

    init(_ x: XenState, guest g: GuestState?) {
        let types = x.typeCounts(), generals = x.generalCounts()
        frames = x.frames.enumerated().map { m, f in
            var roles: [String] = []
            if let g, let pfn = x.m2p[m] {
                for (i, mm) in g.mms.enumerated() {
                    if let level = mm?.tablePages[pfn] { roles.append("mm \(i) \(level.rawValue)") }
                }
                if g.pagePinned.contains(pfn) { roles.append("PagePinned") }
            }
            return Frame(mfn: m, owner: f.owner == .xen ? "xen" : "guest", type: "\(f.type)", typeCount: types[m],
                         generalCount: generals[m], validated: f.validated, pinned: f.pinned, pfn: x.m2p[m], roles: roles,
                         entries: f.entries.enumerated().map { slot, e in
                             Entry(slot: slot, target: e.isPresent && x.isFrame(e.frame) ? e.frame : nil,
                                   flags: e.isPresent ? "\(e.flags)" : "", text: e == .none ? "-" : e.description)
                         })
        }
        cr3 = x.cr3
        if let g {
            cpus = g.cpus.enumerated().map { c, cpu in
                CPU(cpu: c, mm: cpu.currentMM.map { "mm \($0)" } ?? "kernel thread on mm \(cpu.activeMM)",
                    lazyMode: "\(cpu.lazyMode)", queued: cpu.mc.entries.map(\.description),
                    inFlight: cpu.inFlight.flatMap { $0.entries.map(\.description) }, details: StateReport.parts(cpu))
            }
            guest = Array(StateReport.lines(g).dropFirst(x.frames.count + 2).filter { !$0.hasPrefix("cpu ") })
            lines = StateReport.lines(g)
        } else {
            cpus = []
            guest = []
            lines = StateReport.lines(x)
        }
    }
}

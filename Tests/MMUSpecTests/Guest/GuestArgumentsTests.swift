import Testing
@testable import MMUSpec

/// Every operation takes any arguments: out-of-range CPUs, mms, addresses and pfns are
/// answered with not-applicable (or the seed's own BUG), never a trap, and change nothing.
@Suite("Guest arguments")
struct GuestArgumentsTests {
    /// Out of range for every argument kind of the PAE layout (2 CPUs, mm slots 0-1, 8 pfns,
    /// 512 pages of address space).
    static let weird = [-1, Int.min, 99, Int.max, 1 << 40]

    /// 99 is a fine address (page 0); use one past the address space instead.
    static func badVA(_ x: Int) -> Int { x == 99 ? 512 * MMUConfig.pageSize : x }

    static func ops() -> [GuestOp] {
        var ops: [GuestOp] = []
        for x in weird {
            let p = PTE.none
            ops += [.setPteAt(cpu: x, mm: 1, va: 0, pte: p), .setPteAt(cpu: 0, mm: x, va: 0, pte: p),
                    .setPteAt(cpu: 0, mm: 1, va: Self.badVA(x), pte: p), .setPmd(cpu: 0, mm: x, va: Self.badVA(x), val: p),
                    .setPud(cpu: x, mm: 0, va: Self.badVA(x), val: p), .ptepModifyProtCommit(cpu: 0, mm: 1, va: Self.badVA(x), pte: p),
                    .pgdPin(cpu: x, mm: 1), .pgdPin(cpu: 0, mm: x), .pgdUnpin(cpu: 0, mm: x), .activateMM(cpu: x, mm: 1),
                    .activateMM(cpu: 0, mm: x), .dupMmap(cpu: 0, mm: x), .exitMmap(cpu: 0, mm: x), .exitMmap(cpu: x, mm: 1),
                    .mmPinAll(cpu: x), .mmUnpinAll(cpu: x), .makeLowmemPageReadonly(cpu: 0, pfn: x),
                    .makeLowmemPageReadwrite(cpu: x, pfn: 7), .enterLazyMMU(cpu: x), .leaveLazyMMU(cpu: x),
                    .switchMM(cpu: x, mm: 1, stayLazy: true), .switchMM(cpu: 0, mm: x, stayLazy: false),
                    .leaveLazyCPU(cpu: x), .mmAlloc(cpu: 0, mm: x), .mmAlloc(cpu: x, mm: 1), .pteAlloc(cpu: 0, mm: 1, va: Self.badVA(x)),
                    .pteAlloc(cpu: 0, mm: x, va: 0), .mmFree(cpu: 0, mm: x), .activateMM(cpu: 0, mm: 0),
                    .exitMmap(cpu: 0, mm: 0), .mmFree(cpu: 0, mm: 0), .pgdUnpin(cpu: 0, mm: 0)]
        }
        return ops
    }

    @Test("out-of-range arguments are not applicable and change nothing")
    func weirdArguments() {
        var base = GuestState(config: GuestConfigs.pae())
        base.run([.mmAlloc(cpu: 0, mm: 1), .pteAlloc(cpu: 0, mm: 1, va: 0)])
        var running = base
        running.run([.activateMM(cpu: 0, mm: 1)])
        for s in [GuestState(config: GuestConfigs.pae()), base, running] {
            for op in Self.ops() {
                var t = s
                #expect(t.apply(op) == .notApplicable, "\(op) on \(s.mms.count)")
                #expect(t == s, "\(op)")
            }
        }
    }

    @Test("set-phys-to-machine with any pfn: INVALID beyond MAX_DOMAIN_PAGES is fine, anything else there is the seed's BUG")
    func setPhysToMachineAnyPfn() {
        for x in Self.weird {
            var s = GuestState(config: GuestConfigs.pae())
            #expect(s.apply(.setPhysToMachine(pfn: x, mfn: P2M.invalidEntry)) == .ok)
            guard case .failed = s.apply(.setPhysToMachine(pfn: x, mfn: 3)) else { Issue.record("pfn \(x)"); continue }
        }
    }
}

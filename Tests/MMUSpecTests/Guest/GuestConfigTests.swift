import Testing
@testable import MMUSpec

@Suite("Guest configuration")
struct GuestConfigTests {
    static let page = MMUConfig.pageSize

    @Test("the test layouts validate")
    func valid() throws {
        try GuestState.validate(config: GuestConfigs.pae())
        try GuestState.validate(config: GuestConfigs.twoLevel())
        try GuestState.validate(config: GuestConfigs.twoLevel(mms: 2, pfns: 8))
    }

    @Test("a layout the guest cannot use is refused naming the field; init does not trap", arguments: [
        (MMUConfig(levels: 3, entriesPerTable: 8, machineFrames: 8, pfns: 8, taskSize: 32 * 4096, fixaddrTop: 128 * 4096), "task-size"),
        (MMUConfig(levels: 3, entriesPerTable: 8, machineFrames: 8, pfns: 8, taskSize: 64 * 4096, fixaddrTop: 64 * 4096), "fixaddr-top"),
        (MMUConfig(levels: 2, entriesPerTable: 4, machineFrames: 8, pfns: 8, taskSize: 12 * 4096, fixaddrTop: 16 * 4096), "pfns"),
        (MMUConfig(levels: 2, entriesPerTable: 4, machineFrames: 4, pfns: 6, taskSize: 8 * 4096, fixaddrTop: 16 * 4096), "machine-frames"),
        (MMUConfig(levels: 3, entriesPerTable: 8, machineFrames: 8, pfns: 7, taskSize: 64 * 4096, fixaddrTop: 128 * 4096), "pfns"),
        (MMUConfig(levels: 5, entriesPerTable: 8, machineFrames: 8, pfns: 7), "levels"),
    ])
    func invalid(config: MMUConfig, field: String) {
        #expect(throws: ConfigError.self) { try GuestState.validate(config: config) }
        do { try GuestState.validate(config: config) } catch { #expect(error.field == field) }
        let s = GuestState(config: config)
        #expect(s.bug?.hasPrefix("invalid configuration: \(field)") == true)
        #expect(s.enabledOperations().isEmpty)
    }

    @Test("state equality ignores the ghost logs; permutingFrames renames frames consistently")
    func equalityAndSymmetry() {
        var a = GuestState(config: GuestConfigs.pae())
        var b = a
        b.issued = []
        b.walks = []
        #expect(a == b && a.hashValue == b.hashValue)
        a.run([.mmAlloc(cpu: 0, mm: 1), .pteAlloc(cpu: 0, mm: 1, va: 0), .activateMM(cpu: 0, mm: 1), .enterLazyMMU(cpu: 0),
               .setPteAt(cpu: 0, mm: 1, va: 0, pte: PTE(frame: 7, flags: GuestState.pageShared))])
        let perm = [3, 0, 7, 1, 6, 2, 5, 4]
        let p = a.permutingFrames(perm)
        #expect(p.allViolations() == [])
        #expect(p.pfnToMFN(3) == perm[a.pfnToMFN(3)])
        #expect(p.cpus[0].mc.entries == [.updateVAMapping(va: 0, val: PTE(frame: perm[a.pfnToMFN(7)], flags: GuestState.pageShared), flush: .none)])
        // The renamed state answers the same operations the same way.
        var x = a, y = p
        #expect(x.apply(.leaveLazyMMU(cpu: 0)) == .ok && y.apply(.leaveLazyMMU(cpu: 0)) == .ok)
        #expect(x.permutingFrames(perm) == y)
        #expect(a.permutingFrames([0, 1]) == a)     // not a permutation: unchanged
    }
}

import MMUSpec

/// The abstraction function: the spec state a packed state stands for. The differential
/// tester compares `specState(of:)` with the spec engine's state after every operation,
/// and traces are written as spec states, so `replay` reads them on either engine.
extension FastXen {
    static let pageTypes: [PageType] = [.none, .l1, .l2, .l3, .l4, .writable, .none, .none]

    public func specState(of s: FastXenState, mutations: Set<XenMutation> = []) -> XenState {
        var x = XenState(config: config, mutations: mutations)
        for f in 0..<frameCount {
            let m = meta(s, f)
            x.frames[f] = Frame(owner: m & FastXen.xenBit != 0 ? .xen : .guest, type: FastXen.pageTypes[Int(m & FastXen.typeMask)],
                                validated: m & FastXen.validatedBit != 0, pinned: m & FastXen.pinnedBit != 0,
                                entries: (0..<slotCount).map { values[entry(s, f, $0)] })
            let p = Int(s[m2pBase + f])
            x.m2p[f] = p == 0 ? nil : p - 1
        }
        for v in 0..<vcpuCount { let r = cr3(s, v); x.cr3[v] = r >= 0 ? r : nil }
        return x
    }
}

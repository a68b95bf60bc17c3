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

extension FastXen {
    /// The packed state standing for spec state `x` (the inverse of `specState(of:)`), with
    /// the counts stored as the spec derives them (`XenState.typeCounts` / `generalCounts`).
    /// nil when `x` does not fit this engine: another configuration, an entry value missing
    /// from the value table, a count or pfn past a byte. Scenarios start the fast engine from
    /// a declared state with it; the engine's own `counts-match` then re-derives the counts
    /// from the packed references, and `FastPackingTests` holds `packed` and `specState` to
    /// each other on reachable states.
    public func packed(_ x: XenState) -> FastXenState? {
        guard x.config == config, x.frames.count == frameCount, x.cr3.count == vcpuCount, x.m2p.count == frameCount else { return nil }
        var s = FastXenState()
        let types = x.typeCounts(), generals = x.generalCounts()
        for (f, frame) in x.frames.enumerated() {
            guard frame.entries.count == slotCount else { return nil }
            for (slot, e) in frame.entries.enumerated() {
                guard let v = valueIndex[e] else { return nil }
                setEntry(&s, f, slot, Int(v))
            }
            guard let code = FastXen.pageTypes.firstIndex(of: frame.type), types[f] < 256, generals[f] < 256 else { return nil }
            var m = UInt8(code)
            if frame.validated { m |= FastXen.validatedBit }
            if frame.pinned { m |= FastXen.pinnedBit }
            if frame.owner == .xen { m |= FastXen.xenBit }
            setMeta(&s, f, m)
            s[tcBase + f] = UInt8(types[f])
            s[gcBase + f] = UInt8(generals[f])
            if let p = x.m2p[f] {
                guard p >= 0, p + 1 < 256 else { return nil }
                s[m2pBase + f] = UInt8(p + 1)
            }
        }
        for (v, root) in x.cr3.enumerated() {
            if let root {
                guard (0..<frameCount).contains(root) else { return nil }
                s[cr3Base + v] = UInt8(root + 1)
            }
        }
        return s
    }
}

import Testing
@testable import MMUSpec

/// A miniature model checker inside the tests: breadth-first over every action from the
/// initial state, checking the hypervisor invariants in every state reached.
func explore(_ start: XenState, depth: Int, flags: [PTEFlags]) -> (states: Int, violations: [(Invariant, String, XenState)]) {
    let actions = XenState.allActions(config: start.config, flagChoices: flags)
    var seen: Set<XenState> = [start]
    var frontier = [start]
    var violations: [(Invariant, String, XenState)] = []
    for _ in 0..<depth {
        var next: [XenState] = []
        for s in frontier {
            for a in actions {
                var t = s
                guard t.apply(a).succeeded, seen.insert(t).inserted else { continue }
                for (inv, why) in t.violations() { violations.append((inv, why, t)) }
                next.append(t)
            }
        }
        frontier = next
    }
    return (seen.count, violations)
}

@Suite("Xen: exhaustive mini-exploration")
struct XenExhaustiveTests {
    let config = MMUConfig(levels: 2, entriesPerTable: 2, machineFrames: 2, pfns: 1, vcpus: 1)

    @Test("every hypervisor invariant holds in every state within 3 steps (2 frames, 2 levels, 2 entries)")
    func correctRulesHold() {
        let r = explore(XenState(config: config), depth: 3, flags: [P, PW])
        #expect(r.states > 100)
        #expect(r.violations.isEmpty, "\(r.violations.first.map { "\($0.0.rawValue): \($0.1) in \($0.2)" } ?? "")")
    }

    @Test("with allow-writable-l1-to-pagetable some state within 3 steps breaks no-writable-pagetable")
    func mutationFound() {
        let r = explore(XenState(config: config, mutations: [.allowWritableL1ToPagetable]), depth: 3, flags: [P, PW])
        #expect(r.violations.contains { $0.0 == .noWritablePagetable })
    }
}

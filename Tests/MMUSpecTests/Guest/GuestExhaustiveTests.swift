import Testing
@testable import MMUSpec

@Suite("Guest exhaustive")
struct GuestExhaustiveTests {
    /// BFS over `enabledOperations` from boot: returns the first violation with its path, and
    /// the number of distinct states.
    static func bfs(_ config: MMUConfig, depth: Int, mutations: Set<GuestMutation> = []) -> (states: Int, violation: String?) {
        let start = GuestState(config: config, mutations: mutations)
        var seen: Set<GuestState> = [start]
        var frontier: [(GuestState, [String])] = [(start, [])]
        if let v = start.allViolations().first { return (1, "boot: \(v)") }
        for _ in 0..<depth {
            var next: [(GuestState, [String])] = []
            for (s, path) in frontier {
                for op in s.enabledOperations() {
                    var t = s
                    let r = t.apply(op)
                    if r == .notApplicable { return (seen.count, "enabledOperations offered \(op) but apply said not-applicable after \(path)") }
                    if let v = t.allViolations().first {
                        return (seen.count, "after \((path + [op.description]).joined(separator: " ; ")): \(v)")
                    }
                    if seen.insert(t).inserted { next.append((t, path + [op.description])) }
                }
            }
            frontier = next
        }
        return (seen.count, nil)
    }

    @Test("every invariant holds in every state reached in 3 steps from boot (PAE, 2 vCPUs)")
    func paeDepth3() {
        let r = Self.bfs(GuestConfigs.pae(), depth: 3)
        #expect(r.violation == nil)
        #expect(r.states > 20)
    }

    @Test("every invariant holds in every state reached in 3 steps from boot (2 levels, 2 vCPUs)")
    func twoLevelDepth3() {
        let r = Self.bfs(GuestConfigs.twoLevel(), depth: 3)
        #expect(r.violation == nil)
        #expect(r.states > 20)
    }
}

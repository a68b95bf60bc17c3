import Foundation
@testable import MMUFast
import MMUSpec
import Testing
@testable import Checker


/// Forgetting stale types is a bisimulation on reachable states: for every state reached
/// breadth-first (spec engine, no reduction) and every action, the state and its reduced
/// form answer alike, lead to states with the same reduced form, and satisfy the same
/// invariants. And it reduces the count without changing a verdict.
@Suite struct StaleTypeReductionTests {
    @Test(arguments: ["quick/hypervisor-tiny.yaml", "hypervisor-small.yaml"])
    func reducedStatesBehaveAlike(_ file: String) throws {
        var spec = try EnginesTests.load(file)
        spec.mergeStaleTypes = false
        let model = HypervisorModel(spec: spec)
        var seen: Set<XenState> = []
        var queue = model.initialStates()
        var head = 0, differing = 0
        while head < queue.count && head < 1500 {
            let s = queue[head]; head += 1
            let r = s.forgettingStaleTypes()
            if r != s { differing += 1 }
            for inv in spec.checkedInvariants { #expect((s.check(inv) == nil) == (r.check(inv) == nil)) }
            for a in model.actions(in: s) {
                var x = s, y = r
                let rx = x.apply(a), ry = y.apply(a)
                #expect(rx == ry, "\(a) answers \(rx) from \(s) but \(ry) from its reduced form")
                #expect(x.forgettingStaleTypes() == y.forgettingStaleTypes())
                if rx.succeeded, seen.insert(x).inserted { queue.append(x) }
            }
        }
        #expect(differing > 0, "no reachable state has a stale type: the test would prove nothing")
    }

    @Test func mergingKeepsTheVerdictAndReducesTheCount() throws {
        var spec = try EnginesTests.load("quick/hypervisor-tiny.yaml")
        spec.mergeStaleTypes = true
        let on = ExploreRun.run(spec, options: spec.explorerOptions)
        spec.mergeStaleTypes = false
        let off = ExploreRun.run(spec, options: spec.explorerOptions)
        // (The deepest level may shrink: a merged state can be first met earlier.)
        #expect(on.verdict == off.verdict && on.stats.depth <= off.stats.depth)
        #expect(on.stats.distinctStates < off.stats.distinctStates)
        // With a rule removed the violation and its depth survive the reduction.
        spec.mergeStaleTypes = true
        let bugOn = ExploreRun.run(spec, options: spec.explorerOptions, hypervisorMutations: [.oldFastPath])
        #expect(!bugOn.staleTypesMerged)   // not sound under mutations: switched off
    }
}

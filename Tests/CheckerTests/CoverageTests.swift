import Foundation
import MMUFast
import MMUSpec
import Testing
@testable import Checker

/// Issue #15, item 1: `explore --coverage` (`ExplorerOptions.coverage`, `Coverage`).
@Suite struct CoverageTests {
    static func load(_ file: String) throws -> CheckSpec {
        try SpecLoader.load(file: MutationAcceptanceTests.specsDir + "/" + file)
    }

    @Test("coverage: the same on 1 and 2 threads, consistent with the run's counts, nil and free of effect when off",
          arguments: ["guest-two-mms.yaml", "hypervisor-small.yaml"])
    func consistent(_ file: String) throws {
        var spec = try Self.load(file)
        spec.expectReached = []   // its operation conditions would turn coverage on
        spec.notReached = []      // and so would a not-reached: claim
        var options = spec.explorerOptions
        let off = ExploreRun.run(spec, options: options)
        #expect(off.stats.coverage == nil)
        options.coverage = true
        let one = ExploreRun.run(spec, options: options)
        options.threads = 2
        let two = ExploreRun.run(spec, options: options)
        let c = try #require(one.stats.coverage)
        #expect(c == two.stats.coverage)
        #expect(one.complete && one.stats.distinctStates == off.stats.distinctStates && one.stats.transitions == off.stats.transitions)
        #expect(c.fired.reduce(0, +) == one.stats.transitions)
        // Every state but the initial one was first reached by exactly one operation.
        #expect(c.newStates.reduce(0, +) == one.stats.distinctStates - 1)
        // Nothing broke, so every invariant was evaluated on every state.
        #expect(c.evaluations.allSatisfy { $0 == one.stats.distinctStates })
        for op in c.operations.indices {
            // A transition is an offered action with an accepted outcome; enabled counts states.
            let accepted = spec.level == .hypervisor ? ["ok", "written", "emulated"] : ["ok", "BUG"]
            let transitions = accepted.reduce(0) { $0 + c.count(c.operations[op], outcome: $1) }
            #expect(transitions == c.fired[op], "\(c.operations[op])")
            #expect(c.enabled[op] <= min(c.fired[op], one.stats.distinctStates))
            #expect(c.newStates[op] <= c.fired[op])
        }
        if spec.level == .hypervisor {
            // Every reached state was expanded, and offered every action of the list once.
            let offered = c.outcomeCounts.reduce(0, +)
            #expect(offered == one.stats.distinctStates * HypervisorModel(spec: spec).actionList.count)
            // The adversary is refused in every way the rules have.
            #expect(c.count("pin", outcome: "-EINVAL") > 0 && c.count("guest-store", outcome: "emulated") > 0)
            #expect(c.count("guest-store", outcome: "-EFAULT") > 0 && c.count("mmu-update", outcome: "ok") > 0)
        } else {
            #expect(c.fired("dup-mmap") > 0 && c.count("dup-mmap", outcome: "ok") == c.fired("dup-mmap"))
        }
        let report = ExploreReport.text(one, options: options)
        #expect(report.contains("coverage: per operation") && report.contains("invariant evaluations:"))
        #expect(!report.contains("NEVER FIRED"), "\(report)")
    }

    @Test("coverage on the spec engine and on the fast engine are equal on hypervisor-small")
    func enginesAgree() throws {
        let spec = try Self.load("hypervisor-small.yaml")
        var options = spec.explorerOptions
        options.coverage = true
        let fast = ExploreRun.run(spec, options: options, engine: .fast)
        let slow = ExploreRun.run(spec, options: options, engine: .spec)
        #expect(fast.engine == "fast" && slow.engine == "spec")
        #expect(fast.stats.coverage != nil && fast.stats.coverage == slow.stats.coverage)
    }

    /// The fast model's outcome labels against the spec's, action by action, on reachable
    /// states: nil when they agree, else the first difference.
    static func outcomeDisagreement(_ label: (FastHypervisorModel, FastXenState, FastOp, FastXenState?) -> Int) throws -> String? {
        let spec = try Self.load("hypervisor-small.yaml")
        let fast = try FastHypervisorModel(spec: spec)
        let reference = HypervisorModel(spec: spec)
        var frontier = fast.initialStates(), seen = Set(frontier)
        var checked = 0
        while let s = frontier.first, checked < 1_000 {
            frontier.removeFirst()
            checked += 1
            let x = fast.specState(s)
            for op in fast.actions(in: s) {
                let next = fast.next(s, op)
                let a = fast.xenAction(op)
                let want = reference.outcome(x, a, next: reference.next(x, a))
                let got = label(fast, s, op, next)
                if got != want { return "\(a) in state \(checked): spec \(XenAnswer.labels[want]), fast \(XenAnswer.labels[got])" }
                if let next, seen.insert(next).inserted { frontier.append(next) }
            }
        }
        return nil
    }

    @Test("the fast engine's outcome of every action agrees with the spec's; one that calls every refusal -EINVAL is caught")
    func outcomesAgree() throws {
        #expect(try Self.outcomeDisagreement { m, s, op, next in m.outcome(s, op, next: next) } == nil)
        let wrong = try Self.outcomeDisagreement { m, s, op, next in
            let right = m.outcome(s, op, next: next)
            return right >= 3 ? 3 + XenError.allCases.firstIndex(of: .einval)! : right
        }
        #expect(wrong != nil)
    }
}

import Testing
@testable import Checker
import MMUSpec

/// Issue #12, item 6: vCPU symmetry is a sound reduction of the guest model. Renaming CPUs
/// must be an automorphism of the explorer's transition system on reachable states (the
/// renamed state's successors are the renamed successors, every invariant judges both alike),
/// and the canonical form must be a function of the class. A wrong renaming (one that forgets
/// a place naming a CPU) must be refuted by the same check.
@Suite struct GuestSymmetryTests {
    /// Reachable states by breadth-first search over `GuestModel`, up to `limit` of them.
    static func reachable(_ model: GuestModel, limit: Int) -> [GuestState] {
        var seen = Set(model.initialStates())
        var order = Array(seen)
        var i = 0
        while i < order.count, order.count < limit {
            let s = order[i]
            i += 1
            for a in model.actions(in: s) {
                guard let t = model.next(s, a), seen.insert(t).inserted else { continue }
                order.append(t)
            }
        }
        return order
    }

    /// The first state (with the action that shows it) where `rename` is not an automorphism:
    /// the renamed state's successor set differs from the renamed successors, or an invariant
    /// judges the two states differently. nil when it is one on every state given.
    static func firstBreak(_ model: GuestModel, _ states: [GuestState],
                           rename: (GuestState) -> GuestState) -> String? {
        for s in states {
            let r = rename(s)
            for inv in model.invariants where (inv.check(s) == nil) != (inv.check(r) == nil) {
                return "\(inv.name) judges a renamed state differently"
            }
            let renamedSuccessors = Set(model.actions(in: s).compactMap { model.next(s, $0) }.map(rename).map(textless))
            let successorsOfRenamed = Set(model.actions(in: r).compactMap { model.next(r, $0) }.map(textless))
            if renamedSuccessors != successorsOfRenamed {
                let extra = model.actions(in: s).first { a in model.next(s, a).map { !successorsOfRenamed.contains(textless(rename($0))) } ?? false }
                return "successors differ (\(renamedSuccessors.count) renamed vs \(successorsOfRenamed.count))"
                    + (extra.map { "; first unmatched action: \($0)" } ?? "")
            }
        }
        return nil
    }

    /// A BUG's message names the CPU that hit it in text, which no renaming rewrites: compare
    /// such states with the message replaced by whether there is one.
    static func textless(_ s: GuestState) -> GuestState {
        var t = s
        if t.bug != nil { t.bug = "BUG" }
        if t.walkLimitViolation != nil { t.walkLimitViolation = "walk-limit" }
        return t
    }

    static func model(_ file: String, mutations: Set<GuestMutation> = []) throws -> GuestModel {
        GuestModel(spec: try SpecLoader.load(file: MutationAcceptanceTests.specsDir + "/" + file), mutations: mutations)
    }

    @Test("swapping the two vCPUs is an automorphism of the guest model's reachable states and steps (every shipped guest spec)",
          arguments: ["guest-two-mms.yaml", "guest-pae.yaml", "guest-pte-updates.yaml", "guest-mprotect.yaml", "guest-balloon.yaml",
                      "guest-kernel-mappings.yaml"])
    func swapIsAnAutomorphism(_ file: String) throws {
        let m = try Self.model(file)
        let states = Self.reachable(m, limit: 1500)
        #expect(states.count >= 1500 || file == "guest-two-mms.yaml")
        #expect(Self.firstBreak(m, states) { $0.permutingCPUs([1, 0]) } == nil)
        // The canonical form is a function of the class.
        for s in states {
            #expect(m.canonical(s) == m.canonical(s.permutingCPUs([1, 0])))
        }
        // The states reached include ones where the CPUs differ (else the check is empty).
        #expect(states.contains { $0.permutingCPUs([1, 0]) != $0 })
    }

    @Test("with a mutation the renaming is still an automorphism (the reduction serves the mutation tests too)",
          arguments: GuestMutation.allCases)
    func automorphismUnderMutations(_ mutation: GuestMutation) throws {
        let m = try Self.model(GuestMutationAcceptanceTests.specFile(mutation), mutations: [mutation])
        #expect(Self.firstBreak(m, Self.reachable(m, limit: 600)) { $0.permutingCPUs([1, 0]) } == nil)
    }

    @Test("known-false twins: renamings that forget one place naming a CPU are refuted")
    func wrongRenamingsAreRefuted() throws {
        let m = try Self.model("guest-two-mms.yaml")
        let states = Self.reachable(m, limit: 3000)
        // Xen's per-vCPU cr3 left in place.
        #expect(Self.firstBreak(m, states) { s in
            var r = s.permutingCPUs([1, 0]); r.xen.cr3 = s.xen.cr3; return r
        } != nil)
        // cpu_vm_mask left in place.
        #expect(Self.firstBreak(m, states) { s in
            var r = s.permutingCPUs([1, 0])
            for i in r.mms.indices { r.mms[i]?.cpuVMMask = s.mms[i]?.cpuVMMask ?? [] }
            return r
        } != nil)
        // The sample has cross calls in flight (else the next two twins could not fail).
        #expect(states.contains { $0.cpus.contains { !$0.pendingIPIs.isEmpty } && $0.cpus.contains { !$0.awaiting.isEmpty } })
        // The CPUs a sender awaits left unrenamed.
        #expect(Self.firstBreak(m, states) { s in
            var r = s.permutingCPUs([1, 0])
            for c in r.cpus.indices { r.cpus[c].awaiting = s.cpus[1 - c].awaiting }
            return r
        } != nil)
        // The sender of a pending cross call left unrenamed.
        #expect(Self.firstBreak(m, states) { s in
            var r = s.permutingCPUs([1, 0])
            for c in r.cpus.indices { r.cpus[c].pendingIPIs = s.cpus[1 - c].pendingIPIs }
            return r
        } != nil)
    }

    @Test("three vCPUs: every renaming is an automorphism on reachable states")
    func threeCPUs() throws {
        var spec = try SpecLoader.load(file: MutationAcceptanceTests.specsDir + "/guest-two-mms.yaml")
        spec.config.vcpus = 3
        let m = GuestModel(spec: spec)
        let states = Self.reachable(m, limit: 800)
        for p in Permutations.all(of: 3).dropFirst() {
            #expect(Self.firstBreak(m, states) { $0.permutingCPUs(p) } == nil, "\(p)")
        }
        for s in states.prefix(200) {
            let keys = Set(Permutations.all(of: 3).map { m.canonical(s.permutingCPUs($0)) })
            #expect(keys.count == 1)
        }
    }
}

import Foundation
import MMUFast
import MMUSpec
import Testing
@testable import Checker

/// The explorer drops successors before they reach the visited set (repeats of a state's
/// earlier successors, successors found in the seen-successor cache, successors a worker
/// finds already visited). None of that may change what a run reports: these tests hold
/// the explorer to a plain breadth-first search written here with a `Set` of canonical
/// states and nothing else.
@Suite struct ExplorerFilteringTests {
    /// Distinct states, transitions (enabled actions of expanded states) and depth of a
    /// plain BFS over `model.key`, expanding states shallower than `maxDepth`.
    static func referenceBFS<M: Model>(_ model: M, symmetric: Bool, maxDepth: Int = .max) -> (states: Int, transitions: Int, depth: Int) {
        var seen = Set<M.State>()
        var frontier: [M.State] = []
        for s in model.initialStates() where seen.insert(model.key(s, symmetric: symmetric)).inserted { frontier.append(s) }
        var transitions = 0, depth = 0
        while !frontier.isEmpty && depth < maxDepth {
            var next: [M.State] = []
            for s in frontier {
                for a in model.actions(in: s) {
                    guard let t = model.next(s, a) else { continue }
                    transitions += 1
                    if seen.insert(model.key(t, symmetric: symmetric)).inserted { next.append(t) }
                }
            }
            if !next.isEmpty { depth += 1 }
            frontier = next
        }
        return (seen.count, transitions, depth)
    }

    @Test(arguments: [1, 2], [true, false])
    func hypervisorRunMatchesAPlainBFS(_ threads: Int, _ symmetric: Bool) throws {
        let specs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../specs").standardized.path
        let spec = try SpecLoader.load(file: specs + "/hypervisor-small.yaml")
        let model = try FastHypervisorModel(spec: spec)
        let depth = 5
        let reference = Self.referenceBFS(model, symmetric: symmetric, maxDepth: depth)
        let r = Explorer(model: model, options: ExplorerOptions(maxDepth: depth, symmetry: symmetric, threads: threads)).run()
        #expect(r.stats.distinctStates == reference.states)
        #expect(r.stats.transitions == reference.transitions)
        #expect(r.stats.depth == reference.depth)
        #expect(r.violations.isEmpty)
    }

    /// A run cut short by the state limit reports the same summary on any number of threads,
    /// also when the limit falls on the last state of a level (found by the level's last
    /// merge, which runs after its batch, not alongside the next).
    @Test func stateLimitGivesTheSameSummaryOnAnyThreadCount() throws {
        let specs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../specs").standardized.path
        let model = try FastHypervisorModel(spec: SpecLoader.load(file: specs + "/hypervisor-small.yaml"))
        let levelEnds = (3...4).map { Self.referenceBFS(model, symmetric: true, maxDepth: $0).states }
        for limit in levelEnds + [777, 5000] {
            var summaries: [[Int]] = []
            for threads in [1, 2, 3] {
                let r = Explorer(model: model, options: ExplorerOptions(maxStates: limit, threads: threads)).run()
                #expect(r.incomplete == .stateLimit)
                summaries.append([r.stats.distinctStates, r.stats.transitions, r.stats.depth, r.stats.queue])
            }
            #expect(summaries[0][0] == limit)
            #expect(summaries.allSatisfy { $0 == summaries[0] }, "limit \(limit): \(summaries)")
        }
    }

    /// Tokens without an invariant to break (a run that stops at a violation expands less).
    struct Bag: Model {
        typealias State = [Int]
        let n: Int
        func initialStates() -> [State] { [Array(repeating: 0, count: n)] }
        func actions(in state: State) -> [Int] { Array(0..<(2 * n)) }
        func next(_ s: State, _ a: Int) -> State? {
            var t = s
            t[a / 2] += a % 2 == 0 ? 1 : -1
            return (0...3).contains(t[a / 2]) ? t : nil
        }
        var invariants: [NamedInvariant<State>] { [NamedInvariant("in-range") { $0.allSatisfy { (0...3).contains($0) } ? nil : "out of range" }] }
        func canonical(_ s: State) -> State { s.sorted() }
    }

    @Test func tokensMatchAPlainBFS() {
        for symmetric in [true, false] {
            let reference = Self.referenceBFS(Bag(n: 5), symmetric: symmetric)
            #expect(reference.states == (symmetric ? 56 : 1024))   // multisets of 5 over 4 values; 4^5
            for threads in [1, 2] {
                let r = Explorer(model: Bag(n: 5), options: ExplorerOptions(symmetry: symmetric, threads: threads)).run()
                #expect(r.complete && r.violations.isEmpty)
                #expect(r.stats.distinctStates == reference.states)
                #expect(r.stats.transitions == reference.transitions)
                #expect(r.stats.depth == reference.depth)
            }
        }
    }

    @Test func successorFilterFindsRepeatsAndForgetsOnReset() {
        var f = SuccessorFilter<[Int]>(capacity: 16)
        func repeatOf(_ s: [Int], _ h: UInt64) -> Bool { f.isRepeat(s, hash: h) }
        let first = [repeatOf([1], 7), repeatOf([1], 7), repeatOf([2], 7), repeatOf([2], 7)]
        #expect(first == [false, true, false, true])   // same hash, different state: not a repeat
        // Past its capacity it grows and keeps every entry.
        let fresh = (0..<1000).map { repeatOf([$0, 0], UInt64($0) &* 0x9E37_79B9_7F4A_7C15) }
        let again = (0..<1000).map { repeatOf([$0, 0], UInt64($0) &* 0x9E37_79B9_7F4A_7C15) }
        #expect(fresh.allSatisfy { !$0 } && again.allSatisfy { $0 })
        f.reset()
        #expect(repeatOf([1], 7) == false)
    }

    @Test func seenSuccessorCacheHoldsWhatWasInsertedAndEmptiesWhenItGrows() {
        let c = SeenSuccessorCache()
        let one = SeenSuccessorCache.Tag(first: 0, worker: 0, workers: 1)
        #expect(!c.contains(0x1234_5678_9ABC_DEF0, one))
        c.insert(0x1234_5678_9ABC_DEF0, one)
        #expect(c.contains(0x1234_5678_9ABC_DEF0, one))
        #expect(!c.contains(0x1234_5678_9ABC_EEF0, one))   // another hash in the same slot is a miss
        // Every bit of the hash counts: not only those above the tag, nor only those the
        // slot number does not give.
        #expect(!c.contains(0x1234_5678_9ABC_DEF1, one))
        #expect(!c.contains(0x1234_5678_9ABC_DEF0 ^ (1 << 40), one))
        #expect(!c.contains(0, one))                        // an empty slot holds nothing
        c.fit(distinctStates: 1 << 20)                       // grows: emptied
        #expect(!c.contains(0x1234_5678_9ABC_DEF0, one))
    }

    /// Determinism: a worker does not trust what another worker cached in the same batch
    /// (that successor may come later in frontier order), but trusts its own entries and
    /// every entry of an earlier batch.
    @Test func seenSuccessorCacheTrustsOnlyEntriesTheMergeHasOrWillHaveSeenFirst() {
        let c = SeenSuccessorCache()
        let h: UInt64 = 0xABCD_EF01_2345_6700
        let w0 = SeenSuccessorCache.Tag(first: 10, worker: 0, workers: 2)
        let w1 = SeenSuccessorCache.Tag(first: 10, worker: 1, workers: 2)
        c.insert(h, w0)
        #expect(c.contains(h, w0))
        #expect(!c.contains(h, w1))
        #expect(c.contains(h, SeenSuccessorCache.Tag(first: 12, worker: 1, workers: 2)))
        #expect(c.contains(h, SeenSuccessorCache.Tag(first: 12, worker: 0, workers: 2)))
        // Tags are 16 bits: an entry of 8 batches ago (32 items a batch: 8-bit tags would have
        // wrapped onto this batch's) is still trusted; one of 65,536 items ago is not.
        c.insert(h, SeenSuccessorCache.Tag(first: 32, worker: 0, workers: 32))
        #expect(c.contains(h, SeenSuccessorCache.Tag(first: 9 * 32, worker: 5, workers: 32)))
        #expect(!c.contains(h, SeenSuccessorCache.Tag(first: 32 + 65_536, worker: 5, workers: 32)))
    }

    /// Random reachable states of `model` (seeded walks).
    static func randomStates(_ model: FastHypervisorModel, count: Int, seed: UInt64) -> [FastXenState] {
        var rng = SplitMix64(seed: seed)
        let ops = model.actions(in: model.engine.initialState)
        var out: [FastXenState] = []
        var s = model.engine.initialState
        while out.count < count {
            if let t = model.next(s, ops[Int(rng.next() % UInt64(ops.count))]) { s = t; out.append(s) }
            if rng.next() % 20 == 0 { s = model.engine.initialState }
        }
        return out
    }

    /// `mmu-update-preserve-ad` aliases `mmu-update` when no entry value has A/D bits: the
    /// model declares it for every preserve-AD action, and each alias leads where its target
    /// does from 300 random reachable states.
    @Test func preserveADAliasesNormalUpdatesWhenNoValueHasADBits() throws {
        let specs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../specs").standardized.path
        let model = try FastHypervisorModel(spec: try SpecLoader.load(file: specs + "/hypervisor-small.yaml"))
        let preserveAD = model.xenActions.indices.filter { model.xenActions[$0].name == "mmu-update-preserve-ad" }
        #expect(!preserveAD.isEmpty)
        #expect(model.actionAliases.count == model.xenActions.count)
        #expect(model.actionAliases.indices.filter { model.actionAliases[$0] != nil } == preserveAD)
        let ops = model.actions(in: model.engine.initialState)
        for s in Self.randomStates(model, count: 300, seed: 3) {
            for i in preserveAD {
                let j = try #require(model.actionAliases[i])
                #expect(j < i && model.xenActions[j].name == "mmu-update")
                #expect(model.next(s, ops[i]) == model.next(s, ops[j]))
            }
        }
    }

    /// The known-false twin: with an Accessed value the two updates differ in some state,
    /// and the model aliases only the preserve-AD updates whose value already has every
    /// Accessed/Dirty bit the table holds (those with Accessed: no value has Dirty).
    @Test func noAliasWhenAValueHasTheAccessedBit() throws {
        let specs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../specs").standardized.path
        var spec = try SpecLoader.load(file: specs + "/hypervisor-small.yaml")
        spec.entryFlags = [[.present], [.present, .rw], [.present, .accessed]]
        let model = try FastHypervisorModel(spec: spec)
        for (i, a) in model.xenActions.enumerated() {
            guard case .hypercall(_, .mmuUpdate(let rs)) = a, case .preserveAD(_, let val) = rs[0] else {
                #expect(model.actionAliases[i] == nil); continue
            }
            #expect((model.actionAliases[i] != nil) == val.flags.contains(.accessed), "\(a)")
        }
        let ops = model.actions(in: model.engine.initialState)
        var normal: [XenAction: Int] = [:]
        for (j, a) in model.xenActions.enumerated() where a.name == "mmu-update" { normal[a] = j }
        var differ = false
        for s in Self.randomStates(model, count: 2000, seed: 4) where !differ {
            for (i, a) in model.xenActions.enumerated() {
                guard case .hypercall(let v, .mmuUpdate(let rs)) = a, case .preserveAD(let p, let val) = rs[0],
                      let j = normal[.hypercall(vcpu: v, .mmuUpdate([.normal(ptr: p, val: val)]))] else { continue }
                if model.next(s, ops[i]) != model.next(s, ops[j]) { differ = true; break }
            }
        }
        #expect(differ, "preserve-AD never differed from a normal update: the alias check would have no teeth")
    }
}

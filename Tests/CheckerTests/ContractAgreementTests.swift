import Testing
@testable import Checker
@testable import MMUSpec
import SMT

/// The modular encoding's contracts (ModularContracts.swift) are held to the spec on concrete
/// values, as the exact encoding is by `SymbolicAgreementTests`: the spec's own results
/// (`XenState.getPageType`, `XenState.devalidateUnreferenced`) must satisfy them. The lemmas
/// prove that the exact encoding satisfies them; this checks the spec directly, and each test
/// has a wrong twin it must reject, so it can fail.
@Suite struct ContractAgreementTests {
    static let configs = [MMUConfig(levels: 3, entriesPerTable: 2, machineFrames: 3, pfns: 3, vcpus: 2, recursiveEntries: true, preserveAD: true),
                          MMUConfig(levels: 2, entriesPerTable: 3, machineFrames: 4, pfns: 4, vcpus: 1, recursiveEntries: true, preserveAD: true)]

    /// Reachable, walked and random states (most random ones break some invariant).
    static func states(_ config: MMUConfig) -> [XenState] {
        var rng = SplitMix64(seed: 17)
        return SymbolicAgreementTests.reachable(config, count: 400) + SymbolicAgreementTests.walked(config, count: 400, &rng)
            + (0..<1_200).map { _ in SymbolicAgreementTests.random(config, &rng) }
    }

    static func holds(_ conjuncts: [(name: String, formula: Expr)]) -> String? {
        for c in conjuncts where c.formula.evaluatedBool != true { return c.name }
        return nil
    }

    /// The first state whose devalidation by `devalidate` breaks the contract, and how many were compared.
    static func devalidationDisagreement(_ config: MMUConfig, _ devalidate: (inout XenState) -> Void) -> (String?, Int) {
        let ctx = Context()
        let size = SymbolicSize(config: config, mutations: [])
        var compared = 0
        for s in states(config) {
            var t = s
            devalidate(&t)
            guard let pre = SymbolicXenState.constant(ctx, size, s), let post = SymbolicXenState.constant(ctx, size, t) else {
                return ("\(s) does not fit the encoding's widths", compared)
            }
            compared += 1
            if let broken = holds(pre.devalidationContract(post)) { return ("\(s) -> \(t): \(broken)", compared) }
        }
        return (nil, compared)
    }

    @Test(arguments: configs)
    func devalidationMeetsItsContract(_ config: MMUConfig) {
        let (why, compared) = Self.devalidationDisagreement(config) { $0.devalidateUnreferenced() }
        #expect(why == nil, "\(why ?? "")")
        #expect(compared == 2_000)
    }

    /// Twin: one round of devalidation is not a fixpoint, and the same check says so.
    @Test func oneRoundOfDevalidationIsRejected() {
        let (why, _) = Self.devalidationDisagreement(Self.configs[0]) { s in
            let counts = s.typeCounts()
            for f in s.frames.indices where s.frames[f].validated && counts[f] == 0 { s.frames[f].validated = false }
        }
        #expect(why?.contains("dropped when unreferenced") == true, "\(why ?? "no state rejected")")
    }

    /// The first (state, frame, level) whose successful `get_page_type` on an unvalidated guest
    /// frame breaks the loop's contract (from the state after the retype, where the loop starts).
    static func loopDisagreement(_ config: MMUConfig, mutations: Set<XenMutation> = []) -> (String?, Int) {
        let ctx = Context()
        let size = SymbolicSize(config: config, mutations: mutations)
        var compared = 0
        for s0 in states(config) {
            let s = XenState(config: config, mutations: mutations).with(s0)
            for f in s.frames.indices where !s.frames[f].validated && s.frames[f].owner == .guest {
                for level in 1...config.levels {
                    var start = s
                    start.frames[f].type = .pageTable(level)
                    start.frames[f].validated = true
                    var t = s
                    guard (try? t.getPageType(f, .pageTable(level))) != nil else { continue }
                    guard let pre = SymbolicXenState.constant(ctx, size, start), let post = SymbolicXenState.constant(ctx, size, t) else {
                        return ("\(s) does not fit the encoding's widths", compared)
                    }
                    let table = ctx.bv(UInt64(f), width: size.frameBits)
                    guard pre.loopPrecondition(table, level: level).evaluatedBool == true else { continue }
                    compared += 1
                    if let broken = holds(pre.loopContract(post, table: table)) {
                        return ("get_page_type(\(f), L\(level)) from \(s) -> \(t): \(broken)", compared)
                    }
                }
            }
        }
        return (nil, compared)
    }

    @Test(arguments: configs)
    func getPageTypeMeetsTheLoopContract(_ config: MMUConfig) {
        let (why, compared) = Self.loopDisagreement(config)
        #expect(why == nil, "\(why ?? "")")
        #expect(compared > 1_000)
    }

    /// Twin: with an RW L1 entry to a page table accepted, a validated L1 breaks the entry rule.
    @Test func aMutatedLoopIsRejected() {
        let (why, _) = Self.loopDisagreement(Self.configs[0], mutations: [.allowWritableL1ToPagetable])
        #expect(why?.contains("obeys its rule") == true, "\(why ?? "no pair rejected")")
    }
}

import Testing
@testable import Checker

/// One test per obligation (Hyperkernel style): a failure names the goal that broke.
@Suite struct ProofObligationTests {
    static let prover = Prover()

    static func describe(_ r: ObligationResult) -> String {
        r.goals.map { g in
            switch g.status {
            case .proved: "\(g.name): proved"
            case .refuted(let cex): "\(g.name): REFUTED " + cex.map { "\($0.term)=\($0.value)" }.joined(separator: " ")
            case .unknown(let why): "\(g.name): unknown (\(why))"
            }
        }.joined(separator: "\n")
    }

    @Test(arguments: Obligations.all.map(\.name))
    func obligationIsProved(_ name: String) throws {
        let r = try Self.prover.run(try #require(Obligations.named(name)))
        #expect(r.verdict == .holds, "\(name):\n\(Self.describe(r))")
        #expect(r.goals.allSatisfy { $0.status == .proved })
    }

    @Test(arguments: Obligations.twins.map(\.name))
    func twinIsRefuted(_ name: String) throws {
        let r = try Self.prover.run(try #require(Obligations.named(name)))
        #expect(r.verdict == .holds, "\(name) should be refuted:\n\(Self.describe(r))")
        #expect(r.firstRefuted != nil)
    }

    @Test func everyObligationHasATwin() {
        for o in Obligations.all {
            #expect(Obligations.twins.contains { $0.name.hasPrefix(o.name) }, "\(o.name) has no known-false twin")
        }
    }

    @Test func xsa182CounterexampleAddsRW() throws {
        let r = try Self.prover.run(try #require(Obligations.named("fast-path-xsa-182")))
        let g = try #require(r.firstRefuted)
        guard case .refuted(let cex) = g.status else { return }
        let old = try #require(UInt64(cex.first { $0.term == "old" }!.value.dropFirst(2), radix: 16))
        let new = try #require(UInt64(cex.first { $0.term == "new" }!.value.dropFirst(2), radix: 16))
        #expect(old & 2 == 0 && new & 2 != 0, "the pair must add RW")
        #expect(old & 1 != 0 && new & 1 != 0, "to a present entry")
        #expect((old ^ new) & (Arch.x86_64.pteMask | 1) == 0, "same frame and PRESENT")
    }
}

import Testing
@testable import Checker
import MMUSpec

/// The prover's masks are the engines' (issue #10: one source of truth per constant): the
/// fast-path whitelist and the preserve-AD mask the proof obligations are stated with
/// (`FastPath`, `PreserveAD`) decide, on every pair of entries the model can write, exactly
/// what the engines' rules (`PTE.updateSkipsValidation`, `PTE.preservingAD`) do.
@Suite struct ProverConstantsTests {
    /// Every flag set the model names (2^9), as model flags.
    static let flagSets: [PTEFlags] = (0..<(1 << PTEFlags.named.count)).map { bits in
        PTEFlags.named.enumerated().reduce(into: PTEFlags()) { acc, e in if bits & (1 << e.offset) != 0 { acc.insert(e.element.1) } }
    }

    /// The prover's fast-path rule (`FastPath.whitelistRule`) on concrete x86 values.
    static func proverSkips(_ old: UInt64, _ new: UInt64, whitelist: UInt64 = FastPath.whitelist) -> Bool {
        (old ^ new) & ~whitelist == 0
    }

    /// Where the prover's rule and the engines' differ (nil: nowhere), over every pair of
    /// present entries naming the same frame.
    static func fastPathDisagreement(whitelist: UInt64) -> String? {
        for a in flagSets where a.contains(.present) {
            for b in flagSets where b.contains(.present) {
                let spec = PTE.updateSkipsValidation(old: PTE(frame: 1, flags: a), new: PTE(frame: 1, flags: b), oldFastPath: false)
                if spec != proverSkips(a.x86, b.x86, whitelist: whitelist) { return "\(a) -> \(b)" }
            }
        }
        return nil
    }

    @Test func theFastPathWhitelistIsTheEnginesRule() {
        #expect(Self.fastPathDisagreement(whitelist: FastPath.whitelist) == nil)
        #expect(PTEFlags(x86: FastPath.whitelist) == PTEFlags.fastPathWhitelist)
        // Twin: a whitelist without USER (one bit off) disagrees somewhere, so the check can fail.
        #expect(Self.fastPathDisagreement(whitelist: FastPath.whitelist & ~X86PTE.user) != nil)
    }

    @Test func thePreserveADMaskIsTheEnginesMerge() {
        func disagreement(keep: UInt64) -> String? {
            for a in Self.flagSets {
                for b in Self.flagSets {
                    let merged = PTE(frame: 0, flags: b).preservingAD(of: PTE(frame: 0, flags: a)).flags.x86
                    if merged != b.x86 | (a.x86 & keep) { return "old \(a), new \(b)" }
                }
            }
            return nil
        }
        #expect(disagreement(keep: PreserveAD.ad) == nil)
        #expect(disagreement(keep: PreserveAD.accessed) != nil)   // the twin obligation's mask
    }

    @Test func modelFlagsAreTheX86Bits() {
        #expect(PTEFlags.present.x86 == X86PTE.present && PTEFlags.rw.x86 == X86PTE.rw && PTEFlags.nx.x86 == X86PTE.nx)
        #expect(PTEConversion.present == X86PTE.present)
        for (_, f) in PTEFlags.named { #expect(PTEFlags(x86: f.x86) == f) }
        // Every named flag is one bit of its own (a flag outside `X86PTE.modelledLow` would be empty).
        let bits = PTEFlags.named.map(\.1.rawValue)
        #expect(bits.allSatisfy { $0 != 0 && $0 & ($0 - 1) == 0 })
        #expect(Set(bits).count == bits.count)
    }
}

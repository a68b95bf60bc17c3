import Glibc
import MMUSpec

/// Picks obligations by name for `mmucheck prove --only` and a spec's `proofs:`.
///
/// A pattern is an obligation's name, a glob over names (`'mmu-update-*'`, `'*-twin-*'`), or
/// a group: `arithmetic` (the seed's arithmetic and its twins) or `inductive` (the inductive
/// proofs of the hypervisor's invariants and their twins). Inductive obligations are about
/// every state of one size: they need a configuration (a spec's sizes).
public enum ProofSelection {
    public struct UnknownName: Error, CustomStringConvertible {
        public let name: String
        /// The pattern names inductive obligations but no size was given.
        public var needsSize = false
        /// The name exists, but not at a spec with this many levels (`get-page-type-l4-contract` at 3).
        public var notAtLevels: Int? = nil
        public var description: String {
            if let levels = notAtLevels {
                return "'\(name)' is not an obligation at this spec's sizes (\(levels) levels); there: "
                    + InductiveProofs.names(levels: levels).filter { $0.hasPrefix("get-page-type-") }.joined(separator: ", ")
            }
            if needsSize {
                return "'\(name)' names inductive obligations, which are proved at a spec's sizes: give the spec (mmucheck prove --spec SPEC)"
            }
            return "no proof obligation matches '\(name)'; groups: arithmetic, inductive; names: "
                + (Obligations.everything.map(\.name) + InductiveProofs.names).joined(separator: ", ")
        }
    }

    /// Whether `pattern` (a glob) matches `name`.
    static func matches(_ pattern: String, _ name: String) -> Bool { fnmatch(pattern, name, 0) == 0 }

    /// The names a pattern stands for, arithmetic and inductive.
    static func expand(_ pattern: String) -> (arithmetic: [String], inductive: [String]) {
        switch pattern {
        case "arithmetic": return (Obligations.everything.map(\.name), [])
        case "inductive": return ([], InductiveProofs.names)
        default:
            return (Obligations.everything.map(\.name).filter { matches(pattern, $0) },
                    InductiveProofs.names.filter { matches(pattern, $0) })
        }
    }

    /// Why a pattern selects nothing, given whether a size is known (nil: it selects something).
    public static func problem(_ pattern: String, sized: Bool) -> String? {
        let (a, i) = expand(pattern)
        if a.isEmpty && i.isEmpty { return UnknownName(name: pattern).description }
        if !i.isEmpty && !sized { return UnknownName(name: pattern, needsSize: true).description }
        return nil
    }

    /// The obligations `only` selects (all arithmetic ones when empty and no size is given, all
    /// inductive ones at `config` when empty and it is), in order, each once. `twins: false`
    /// leaves the known-false twins out.
    /// `entryFlags`: the spec's, whose entry values counterexamples to induction are sought among first.
    /// `encoding`: how the inductive steps encode Xen's recursive parts.
    public static func select(only: [String], twins: Bool, config: MMUConfig? = nil, entryFlags: [PTEFlags] = [],
                              encoding: ProofEncoding = .exact) throws(UnknownName) -> [ProofObligation] {
        let values = config.map { XenState.entryValues(config: $0, flagChoices: entryFlags) } ?? []
        var arithmetic: [String] = [], inductive: [String] = []
        if only.isEmpty {
            if let config { return InductiveProofs.all(config: config, values: values, encoding: encoding).filter { twins || $0.expectation == .proved } }
            return twins ? Obligations.everything : Obligations.all
        }
        for pattern in only {
            let (a, i) = expand(pattern)
            if a.isEmpty && i.isEmpty { throw UnknownName(name: pattern) }
            if !i.isEmpty && config == nil { throw UnknownName(name: pattern, needsSize: true) }
            arithmetic += a.filter { !arithmetic.contains($0) }
            inductive += i.filter { !inductive.contains($0) }
        }
        var out = arithmetic.compactMap(Obligations.named)
        if let config, !inductive.isEmpty {
            // The modular encoding's steps rest on its lemmas: selecting a step selects them too.
            if encoding == .modular, inductive.contains(where: { !InductiveProofs.isLemma($0) }) {
                inductive += InductiveProofs.names.filter { InductiveProofs.isLemma($0) && !$0.contains("-twin-") && !inductive.contains($0) }
            }
            let built = InductiveProofs.all(config: config, values: values, only: Set(inductive), encoding: encoding)
            // A pattern that names only obligations this size does not have selects nothing: say so.
            for pattern in only {
                let (a, i) = expand(pattern)
                if a.isEmpty, !built.contains(where: { i.contains($0.name) }) {
                    throw UnknownName(name: pattern, notAtLevels: config.levels)
                }
            }
            out += built
        }
        return twins ? out : out.filter { $0.expectation == .proved }
    }
}

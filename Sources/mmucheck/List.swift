import ArgumentParser
import Checker
import Foundation
import MMUSpec

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List operations, invariants and proof obligations (of one spec, when given).")

    @Argument(help: "A spec file (optional).")
    var spec: String?

    func run() throws {
        var levels = CheckSpec.Level.allCases
        var loaded: CheckSpec? = nil
        var invariants: [Invariant]? = nil
        if let spec {
            do {
                let s = try SpecLoader.load(file: spec)
                printWarnings(s)
                levels = [s.level]
                loaded = s
                invariants = s.checkedInvariants
                print("spec \(s.name): model \(s.level.rawValue), checks: \(s.checks.map(\.rawValue).joined(separator: ", "))")
            } catch {
                printErr("mmucheck list: \(error)")
                throw ExitCode(2)
            }
        }
        for level in levels {
            print("\(level.rawValue) operations:")
            for op in ModelCatalog.operationNames(level) {
                // What the spec loader and the coverage report say too (ModelCatalog).
                let why = ModelCatalog.unexploredReasons(level).first { $0.operation == op }?.why
                let feature = loaded.flatMap { ModelCatalog.featureMissing(op, level: level, config: $0.config) }
                let note = why.map { "  (tests and traces only: the explorer never generates it: \($0))" }
                    ?? feature.map { "  (not offered in this spec: \($0))" }
                    ?? (ModelCatalog.finishingSteps(level).contains(op) ? "  (always offered: it finishes an operation already begun)"
                        : (loaded.map { ModelCatalog.chosen($0).contains(op) } ?? true) ? "" : "  (disabled in this spec)")
                print("  \(op)" + note)
            }
            print("\(level.rawValue) invariants:")
            for inv in invariants ?? ModelCatalog.invariants(level) { print("  \(inv.rawValue)") }
            print("\(level.rawValue) outcomes (coverage, and `OPERATION: OUTCOME` in expect-reached:): "
                  + ModelCatalog.outcomeLabels(level).joined(separator: ", "))
            print("\(level.rawValue) state predicates (expect-reached:):")
            for p in ReachPredicates.entries(level) { print("  \(p.name): \(p.meaning)") }
        }
        print("proof obligations, arithmetic (mmucheck prove):")
        for o in Obligations.all { print("  \(o.name): \(o.summary)") }
        print("known-false twins (must be refuted):")
        for o in Obligations.twins { print("  \(o.name): \(o.summary)") }
        // The inductive ones' summaries do not depend on the size; shown at 4 levels (get-page-type-lN-contract exists for N up to the spec's levels).
        let sample = InductiveProofs.all(config: MMUConfig(levels: 4, entriesPerTable: 2, machineFrames: 2, pfns: 2))
        print("proof obligations, inductive (mmucheck prove --spec SPEC, at the spec's sizes):")
        for o in sample where o.expectation == .proved { print("  \(o.name): \(o.summary)") }
        print("known-false twins (must be refuted):")
        for o in sample where o.expectation == .refuted { print("  \(o.name): \(o.summary)") }
    }
}

import Foundation
import MMUSpec
import Testing
@testable import Checker

/// Issue #15, item 2: `expect-reached:` conditions, the `vacuous` verdict, `not-reached:`.
@Suite struct ReachConditionTests {
    static let tiny = """
        model: hypervisor
        sizes: {levels: 2, entries-per-table: 2, machine-frames: 2, pfns: 2, vcpus: 1}
        features: {recursive-entries: true}

        """

    static func spec(_ text: String) throws -> CheckSpec { try SpecLoader.parse(tiny + text, file: "t.yaml") }

    static func loadError(_ text: String) -> SpecError? {
        do { _ = try SpecLoader.parse(tiny + text, file: "t.yaml"); return nil } catch { return error }
    }

    @Test("a condition no reachable state meets makes a complete run vacuous (exit 1), naming it and its line")
    func vacuous() throws {
        // new-baseptr is left out, so no cr3 is ever loaded; pin can be refused.
        let s = try Self.spec("""
            operations: [mmu-update, pin, unpin]
            expect-reached:
              - root-pinned
              - pin: -EINVAL
              - root-loaded
            """)
        let o = ExploreRun.run(s, options: s.explorerOptions)
        #expect(o.complete && o.violations.isEmpty)
        #expect(o.verdict == "vacuous" && o.exitCode == 1)
        #expect(o.unmet.map(\.description) == ["root-loaded"] && o.unmet.first?.line == 8, "\(o.unmet.map(\.line))")
        let text = ExploreReport.text(o, options: s.explorerOptions)
        #expect(text.contains("result: vacuous") && text.contains("MISSED t.yaml:8: root-loaded"), "\(text)")
        #expect(text.contains("met    pin: -EINVAL"))
        // The same run with the condition met holds.
        let met = try Self.spec("operations: [mmu-update, pin, unpin, new-baseptr]\nexpect-reached: [root-pinned, root-loaded, {pin: -EINVAL}]\n")
        #expect(ExploreRun.run(met, options: met.explorerOptions).verdict == "holds")
    }

    @Test("an operation or outcome that never happens is missed too; an incomplete run is incomplete, not vacuous")
    func operationsAndIncomplete() throws {
        // Without features.preserve-ad nothing is a transition of... unpin of an unpinned frame is always refused
        // until something is pinned; with only unpin enabled nothing is ever pinned.
        let s = try Self.spec("operations: [unpin]\nexpect-reached: [unpin, {unpin: -EINVAL}]\n")
        let o = ExploreRun.run(s, options: s.explorerOptions)
        #expect(o.verdict == "vacuous" && o.unmet.map(\.description) == ["unpin"])
        var bounded = try Self.spec("expect-reached: [linear-entry]\n")
        bounded.maxDepth = 1
        let b = ExploreRun.run(bounded, options: bounded.explorerOptions)
        #expect(b.verdict == "incomplete" && b.exitCode == 3 && b.unmet.count == 1)
        #expect(ExploreReport.text(b, options: bounded.explorerOptions).contains("not reached yet"))
    }

    @Test("bad conditions are FILE:LINE: key: errors")
    func badConditions() throws {
        let cases: [(String, String)] = [
            ("expect-reached: [no-such-thing]\n", "neither an operation nor a state predicate"),
            ("operations: [pin, unpin]\nexpect-reached: [mmu-update]\n", "not an operation this spec explores"),
            ("expect-reached: [{pin: -ENOPE}]\n", "unknown outcome '-ENOPE'"),
            ("expect-reached: [{pin: emulated}]\n", "an outcome of guest-store only"),
            ("expect-reached: [root-pinned, root-pinned]\n", "listed twice"),
            ("expect-reached: [{pin: ok, unpin: ok}]\n", "one `operation: outcome` pair"),
            ("expect-reached: []\n", "at least one condition"),
            ("checks: [prove]\nexpect-reached: [pin]\n", "checks do not include explore"),
            ("not-reached: {tlb-flush: why}\n", "the explorer never generates 'tlb-flush'"),
            ("not-reached: {no-op: why}\n", "unknown key"),
            ("expect-reached: [pin]\nnot-reached: {pin: why}\n", "also in expect-reached"),
            ("expect-reached: [{pin: ok}]\nnot-reached: {pin: why}\n", "also in expect-reached"),
            ("checks: [prove]\nnot-reached: {pin: why}\n", "checks do not include explore"),
            ("not-reached: {}\n", "at least one operation"),
            ("not-reached: {pin: [a, b]}\n", "expected a reason"),
        ]
        for (text, message) in cases {
            let e = try #require(Self.loadError(text), "\(text)")
            #expect(e.file == "t.yaml" && e.line > 3 && e.message.contains(message), "\(text): \(e)")
        }
    }

    @Test("predicate names are kebab-case, distinct, and never an operation name of their level")
    func predicateNames() {
        for level in CheckSpec.Level.allCases {
            let names = ReachPredicates.entries(level).map(\.name)
            #expect(Set(names).count == names.count)
            #expect(Set(names).isDisjoint(with: ModelCatalog.operationNames(level)))
            #expect(names.allSatisfy { $0.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" } })
        }
    }

    @Test("not-reached: is printed in place of NEVER FIRED; an operation that fires anyway makes the run contradicted (exit 1) in every report")
    func notReached() throws {
        let s = try Self.spec("operations: [pin, unpin]\nnot-reached: {unpin: \"nothing to unpin\"}\n")
        // The claim is judged without --coverage: not-reached turns the counts on.
        let plain = ExploreRun.run(s, options: s.explorerOptions)
        #expect(plain.verdict == "contradicted" && plain.exitCode == 1)
        #expect(plain.contradicted.map(\.operation) == ["unpin"] && plain.contradicted.first?.line == 5)
        let plainText = ExploreReport.text(plain, options: s.explorerOptions)
        #expect(plainText.contains("result: contradicted") && plainText.contains("t.yaml:5: unpin fired"), "\(plainText)")
        let json = ExploreReport.json(plain)
        #expect(json["verdict"] as? String == "contradicted")
        let claims = try #require((json["coverage"] as? [String: Any])?["notReached"] as? [[String: Any]])
        #expect(claims.first?["operation"] as? String == "unpin" && (claims.first?["fired"] as? Int ?? 0) > 0)
        #expect(CheckRun.properties(plain).contains { $0.name == "not-reached.unpin" && $0.value.hasPrefix("contradicted: fired") })
        // Contradicted even when the run is cut short: a firing cannot be undone.
        var bounded = s
        bounded.maxDepth = 3
        #expect(ExploreRun.run(bounded, options: bounded.explorerOptions).verdict == "contradicted")
        var options = s.explorerOptions
        options.coverage = true
        let text = ExploreReport.text(ExploreRun.run(s, options: options), options: options)
        #expect(text.contains("CONTRADICTED: unpin fired") && text.contains("though not-reached (line 5) says: nothing to unpin"), "\(text)")
        #expect(!text.contains("NEVER FIRED"))
        // A claim that holds: the run holds, and the reason is printed in place of NEVER FIRED.
        let held = try Self.spec("operations: [unpin, mmu-update]\nnot-reached: {unpin: \"nothing is ever pinned\"}\n")
        let h = ExploreRun.run(held, options: options)
        #expect(h.verdict == "holds")
        #expect(ExploreReport.text(h, options: options).contains("unpin: not expected to fire (not-reached: nothing is ever pinned)"))
        // An operation the spec leaves out, with the reason: said instead of a bare list.
        let out = try Self.spec("operations: [pin, unpin]\nnot-reached: {mmu-update: \"left out: see the other spec\"}\n")
        let t = ExploreReport.text(ExploreRun.run(out, options: options), options: options)
        #expect(t.contains("mmu-update: not enabled by this spec (not-reached: left out: see the other spec)"), "\(t)")
        #expect(!t.contains("not enabled by this spec (operations:): mmu-update,"))
    }

    @Test("the command line: explore and check say vacuous with exit 1; check's JUnit carries coverage and conditions as properties")
    func commandLine() throws {
        let cli = CommandLineTests()
        try withTemporaryFolder("reach") { dir in
            let spec = dir.appendingPathComponent("vacuous.yaml").path
            try (Self.tiny + "operations: [mmu-update, pin, unpin]\nexpect-reached: [root-pinned, {pin: -EINVAL}, root-loaded]\n")
                .write(toFile: spec, atomically: true, encoding: .utf8)
            let e = try cli.mmucheck(["explore", spec, "--quiet"])
            #expect(e.code == 1 && e.out.contains("result: vacuous") && e.out.contains("MISSED \(spec):5: root-loaded"), "\(e.out)")
            let json = try cli.mmucheck(["explore", spec, "--quiet", "--format", "json"])
            let o = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
            #expect(o["verdict"] as? String == "vacuous")
            let conditions = try #require(o["expectReached"] as? [[String: Any]])
            #expect(conditions.map { $0["met"] as? Bool } == [true, true, false])
            let coverage = try #require(o["coverage"] as? [String: Any])
            #expect((coverage["neverFired"] as? [String]) == [])
            let junit = dir.appendingPathComponent("j.xml").path
            let c = try cli.mmucheck(["check", spec, "--quiet", "--junit", junit])
            #expect(c.code == 1 && c.out.contains("vacuous") && c.out.contains("expect-reached MISSED: root-loaded (line 5)"), "\(c.out)")
            let xml = try String(contentsOfFile: junit, encoding: .utf8)
            for p in ["<property name=\"expect-reached.root-loaded\" value=\"missed\"/>", "<property name=\"expect-reached.pin: -EINVAL\" value=\"met\"/>",
                      "<property name=\"coverage.pin.outcome.-EINVAL\"", "<property name=\"coverage.invariant.counts-match.evaluations\"",
                      "<failure message=\"vacuous\">"] {
                #expect(xml.contains(p), "\(p) not in \(xml)")
            }
            // Without conditions and without --coverage, nothing is counted: no coverage properties.
            let plain = dir.appendingPathComponent("plain.yaml").path
            try (Self.tiny + "operations: [mmu-update, pin, unpin]\n").write(toFile: plain, atomically: true, encoding: .utf8)
            #expect(try cli.mmucheck(["check", plain, "--quiet", "--junit", junit]).code == 0)
            #expect(!(try String(contentsOfFile: junit, encoding: .utf8)).contains("coverage."))
            let covered = try cli.mmucheck(["check", plain, "--quiet", "--coverage", "--junit", junit])
            #expect(covered.code == 0)
            // check --coverage prints each explore check's coverage section before the table.
            #expect(covered.out.contains("coverage: per operation") && covered.out.contains("invariant evaluations: "), "\(covered.out)")
            // A contradicted claim fails the JUnit case with its own verdict.
            let claim = dir.appendingPathComponent("claim.yaml").path
            try (Self.tiny + "operations: [pin, unpin]\nnot-reached: {unpin: \"nothing to unpin\"}\n").write(toFile: claim, atomically: true, encoding: .utf8)
            let cc = try cli.mmucheck(["check", claim, "--quiet", "--junit", junit])
            #expect(cc.code == 1 && cc.out.contains("contradicted") && cc.out.contains("not-reached CONTRADICTED: unpin fired"), "\(cc.out)")
            #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("<failure message=\"contradicted\">"))
            // explore --trace-out naming the spec is refused before anything runs.
            let self_ = try cli.mmucheck(["explore", claim, "--quiet", "--trace-out", claim])
            #expect(self_.code == 2 && self_.err.contains("is an input of this run"), "\(self_.err)")
            // --junit naming one of the run's inputs is refused before anything runs.
            let clobber = try cli.mmucheck(["check", plain, "--quiet", "--junit", plain])
            #expect(clobber.code == 2 && clobber.err.contains("is an input of this run"), "\(clobber.err)")
            #expect(try String(contentsOfFile: plain, encoding: .utf8).hasPrefix(Self.tiny))
            #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("<property name=\"coverage.pin.fired\""))
        }
    }
}

/// The loader (what `expect-reached:` may name) and the coverage report (what it calls
/// enabled, not offered, not enabled) read one set, `ModelCatalog.offered`: on every shipped
/// spec, an operation is accepted as a condition exactly when the report, with nothing fired,
/// lists it as never fired (by the spec's choice or as a finishing step), never as left out.
@Suite struct OfferedOperationsAgreementTests {
    static var specFiles: [String] {
        let root = CommandLineTests.root
        return ["specs", "specs/quick", "specs/bench"].flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + dir)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
                .map { root + "/" + dir + "/" + $0 }
        }
    }

    /// The spec file's text without its `expect-reached:` and `not-reached:` blocks.
    static func withoutConditions(_ text: String) -> String {
        var out: [Substring] = [], skipping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let topLevel = !line.isEmpty && !line.hasPrefix(" ") && !line.hasPrefix("-") && !line.hasPrefix("#")
            if topLevel { skipping = line.hasPrefix("expect-reached:") || line.hasPrefix("not-reached:") }
            if !skipping { out.append(line) }
        }
        return out.joined(separator: "\n") + "\n"
    }

    @Test("expect-reached: accepts an operation exactly when the coverage report counts it as offered")
    func loaderAndReportAgree() throws {
        var checked = 0
        for file in Self.specFiles {
            let base = Self.withoutConditions(try String(contentsOfFile: file, encoding: .utf8))
            let spec = try SpecLoader.parse(base, file: file)
            guard spec.checks.contains(.explore) else { continue }
            let ops = ModelCatalog.operationNames(spec.level)
            let gaps = CoverageGaps(spec, Coverage(operations: ops, outcomes: ModelCatalog.outcomeLabels(spec.level), invariants: []))
            let reported = Set(gaps.neverFired + gaps.finishingNeverFired)
            for op in ops {
                let accepted = (try? SpecLoader.parse(base + "expect-reached: [\(op)]\n", file: file)) != nil
                #expect(accepted == reported.contains(op), "\(file): \(op): the loader \(accepted ? "accepts" : "refuses") it, the report \(reported.contains(op) ? "offers" : "leaves it out")")
                checked += 1
            }
        }
        #expect(checked > 50)
    }

    @Test("each gap is named once with its reason: a feature that is off, a finishing step nothing began, an operation never generated")
    func gapsAndTheirReasons() throws {
        let root = CommandLineTests.root
        let tiny = try SpecLoader.load(file: root + "/specs/quick/hypervisor-tiny.yaml")   // preserve-ad: false
        let zero = { (s: CheckSpec) in
            Coverage(operations: ModelCatalog.operationNames(s.level), outcomes: ModelCatalog.outcomeLabels(s.level), invariants: [])
        }
        let t = CoverageGaps(tiny, zero(tiny))
        #expect(t.notOffered.map(\.operation) == ["mmu-update-preserve-ad"] && t.neverGenerated.map(\.operation) == ["tlb-flush"])
        #expect(!t.neverFired.contains("mmu-update-preserve-ad") && !t.shown.contains("mmu-update-preserve-ad"))
        #expect(t.lines.contains { $0.contains("mmu-update-preserve-ad: not offered in this configuration: needs features.preserve-ad") })
        var mprotect = try SpecLoader.load(file: root + "/specs/guest-mprotect.yaml")   // save-restore: false, an operations: list
        mprotect.notReached = []
        let g = CoverageGaps(mprotect, zero(mprotect))
        #expect(Set(g.notOffered.map(\.operation)) == ["mm-pin-all", "mm-unpin-all"], "\(g.notOffered)")
        #expect(g.finishingNeverFired.contains("multicall-entry") && !g.finishingNeverFired.contains("mm-unpin-all"))
        #expect(!g.neverFired.contains("multicall-entry"))
        // Every operation of the level is accounted for exactly once (or fired).
        for gaps in [t, g] {
            let named = gaps.neverFired + gaps.finishingNeverFired + gaps.notReached.map(\.operation) + gaps.neverGenerated.map(\.operation)
                + gaps.notOffered.map(\.operation) + gaps.notEnabled
            #expect(named.count == Set(named).count, "\(named)")
        }
        #expect(Set(t.neverFired + t.notOffered.map(\.operation) + t.neverGenerated.map(\.operation) + t.notEnabled) == Set(ModelCatalog.operationNames(.hypervisor)))
    }

    /// Where a catalog (what a spec offers; whether a feature is off) disagrees with the models
    /// on the shipped specs: at the hypervisor level the adversary is offered every action in
    /// every state; at the guest level the feature-gated operations are refused by their feature.
    static func catalogMismatches(offered: (CheckSpec) -> Set<String>,
                                  featureOff: (String, MMUConfig) -> Bool) throws -> [String] {
        var out: [String] = []
        for file in specFiles {
            var spec = try SpecLoader.load(file: file)
            spec.expectReached = []
            spec.notReached = []
            switch spec.level {
            case .hypervisor:
                let model = HypervisorModel(spec: spec)
                if Set(model.actionList.map(\.name)) != offered(spec) { out.append("\(file): the offered operations") }
            case .guest:
                let state = GuestState(config: spec.config, mutations: [])
                for op: GuestOp in [.mmPinAll(cpu: 0), .mmUnpinAll(cpu: 0), .ptepModifyProtCommit(cpu: 0, mm: 1, va: 0, pte: .none)] {
                    let off = featureOff(op.name, spec.config)
                    let refusedByFeature = state.notApplicableReason(op)?.contains("features.") ?? false
                    if off != refusedByFeature { out.append("\(file): \(op.name): catalog \(off), model \(state.notApplicableReason(op) ?? "applicable")") }
                    if off && offered(spec).contains(op.name) { out.append("\(file): \(op.name) offered with its feature off") }
                }
            }
        }
        return out
    }

    @Test("the operations ModelCatalog says a spec offers are the ones its model offers: every action at the hypervisor level, the feature-gated ones at the guest level; a catalog blind to features is caught")
    func catalogAgreesWithTheModels() throws {
        let real = try Self.catalogMismatches(offered: ModelCatalog.offered,
                                              featureOff: { ModelCatalog.featureMissing($0, level: .guest, config: $1) != nil })
        #expect(real.isEmpty, "\(real)")
        // The wrong twin: the catalog before features were read (every operation but those
        // never generated, whatever the configuration).
        let blind = try Self.catalogMismatches(
            offered: { s in Set(s.operations ?? ModelCatalog.operationNames(s.level).filter { !ModelCatalog.unexplored(s.level).contains($0) })
                .union(ModelCatalog.finishingSteps(s.level)) },
            featureOff: { _, _ in false })
        #expect(blind.contains { $0.contains("hypervisor-tiny") } && blind.contains { $0.contains("mm-pin-all") }, "\(blind)")
    }
}

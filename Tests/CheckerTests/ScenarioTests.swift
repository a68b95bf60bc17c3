import Foundation
@testable import MMUFast
import Testing
@testable import Checker
import MMUSpec

/// Issue #13, items 1-4: scenario files, their runner on both engines, the shipped XTF and
/// seed scenarios, and the compat L3 rules XSA-185 needs.
@Suite struct ScenarioTests {
    static var scenariosDir: String { MutationAcceptanceTests.specsDir + "/scenarios" }

    /// Parses `text` as the scenario file `name` (in the shipped folder, so `spec: ../x.yaml` resolves).
    static func parse(_ text: String, _ name: String = "test.yaml") throws(SpecError) -> Scenario {
        try ScenarioLoader.parse(text, file: scenariosDir + "/" + name)
    }

    static func error(_ text: String) -> SpecError? {
        do { _ = try parse(text); return nil } catch { return error }
    }

    static let small = """
    name: t
    model: hypervisor
    sizes: {levels: 2, entries-per-table: 2, machine-frames: 3, pfns: 3, vcpus: 1}

    """

    /// A batch whose second pin fails (done: 2 is wrong), then a step whose breaks: is wrong.
    static let doneAndBreaks = """
        steps:
          - batch:
              - pin: {level: 2, mfn: f0}
              - pin: {level: 2, mfn: f0}
            expect: -EINVAL
            done: 2

        """

    /// A 32-bit PV guest's machine (compat-l3), before start: and steps:.
    static let compat = "model: hypervisor\nsizes: {levels: 3, entries-per-table: 4, machine-frames: 3, pfns: 3}\nfeatures: {compat-l3: true}\n"

    // MARK: - The shipped scenarios

    @Test("every shipped scenario matches Xen's answers, hypervisor ones on both engines")
    func shippedScenariosMatch() throws {
        let all = try ScenarioFiles.load(paths: [Self.scenariosDir])
        let names = Set(all.map(\.name))
        for needed in ["xsa-182", "xsa-185", "xsa-286", "xsa-296", "xsa-279-167", "seed-exit-lazy-mm", "seed-save-restore", "seed-set-pmd-pinned"] {
            #expect(names.contains(needed), "missing \(needed)")
        }
        for s in all {
            let o = ScenarioRunner.run(s)
            #expect(o.matched, "\(ScenarioReport.lines(o).joined(separator: "\n"))")
            #expect(o.steps.count == s.steps.count)
            #expect(!s.cites.isEmpty, "\(s.name) cites nothing")
            if s.spec.level == .hypervisor { #expect(o.engines == ["spec", "fast"], "\(s.name): \(o.fastSkipped ?? "")") }
        }
    }

    @Test("xsa-182 fails on Xen with the old fast path: RW flipped on a linear entry is accepted")
    func xsa182FailsOnTheOldFastPath() throws {
        let s = try ScenarioLoader.load(file: Self.scenariosDir + "/xsa-182.yaml")
        let o = ScenarioRunner.run(s, xenMutations: [.oldFastPath])
        #expect(!o.matched && o.exitCode == 1)
        // The RW flips answer ok (L4: step 2, L3: step 5, L2: step 7; the preserve-AD one, 8, too).
        // Step 3's whitelisted rewrite drops RW again, so only the L3 self-map stays writable
        // and breaks the invariants through steps 6-8.
        let failed = o.steps.filter { !$0.mismatches.isEmpty }.map(\.number)
        #expect(failed == [2, 5, 6, 7, 8], "\(failed)")
        #expect(o.steps[6].mismatches.contains { $0.message.contains("expected -EINVAL, got ok") })
        let step2 = try #require(o.steps.first { $0.number == 2 })
        #expect(step2.mismatches.contains { $0.message.contains("expected -EINVAL, got ok on the spec engine") && $0.line == s.steps[1].expect[0].line })
        #expect(step2.mismatches.contains { $0.message.contains("on the fast engine") })
    }

    @Test("xsa-185 fails with the pre-fix order: the L3 linear entry is accepted and becomes writable")
    func xsa185FailsWithoutTheFix() throws {
        let s = try ScenarioLoader.load(file: Self.scenariosDir + "/xsa-185.yaml")
        let o = ScenarioRunner.run(s, xenMutations: [.compatL3Linear])
        let first = try #require(o.steps.first)
        #expect(first.got.allSatisfy { $0.answers == ["ok"] })
        #expect(first.mismatches.contains { $0.message.contains("no-writable-pagetable is broken") })
    }

    // MARK: - Item 4: the compat L3 rules, found by the explorer when removed

    @Test("with the XSA-185 rule removed the explorer finds no-writable-pagetable on hypervisor-compat-l3")
    func explorerFindsXSA185() throws {
        let spec = try SpecLoader.load(file: MutationAcceptanceTests.specsDir + "/hypervisor-compat-l3.yaml")
        #expect(spec.config.compatL3)
        for engine in [CheckSpec.Engine.spec, .fast] {
            var s = spec
            s.engine = engine
            let o = ExploreRun.run(s, options: s.explorerOptions, hypervisorMutations: [.compatL3Linear])
            let v = try #require(o.violations.first, "no violation on the \(engine) engine")
            #expect(v.invariant == Invariant.noWritablePagetable.rawValue)
            #expect(v.actions.count == 2, "\(v.actions)")   // a read-only self-entry, then the pin that makes it writable
        }
        var bounded = spec
        bounded.maxDepth = 6
        let real = ExploreRun.run(bounded, options: bounded.explorerOptions)
        #expect(real.violations.isEmpty && real.exitCode == 3)
    }

    @Test("the compat rules: adjust_guest_l3e, no L3 linear entries, slot 3 refused, its L2 unshared, l3_disallow_mask")
    func compatRules() throws {
        var config = MMUConfig(levels: 3, entriesPerTable: 4, machineFrames: 4, pfns: 4)
        config.compatL3 = true
        var x = XenState(config: config)
        let l2 = PTE(frame: 1, flags: [.present])
        #expect(x.hypercall(.mmuUpdate([.normal(ptr: EntryRef(mfn: 0, slot: 0), val: l2)]), vcpu: 0).succeeded)
        #expect(x.hypercall(.mmuextOp([.pin(level: 3, mfn: 0)]), vcpu: 0).succeeded)
        #expect(x.frames[0].entries[0] == PTE(frame: 1, flags: [.present, .rw, .user]), "adjusted on validation")
        func update(_ slot: Int, _ v: PTE) -> XenError? { x.hypercall(.mmuUpdate([.normal(ptr: EntryRef(mfn: 0, slot: slot), val: v)]), vcpu: 0).error }
        #expect(update(1, PTE(frame: 2, flags: [.present])) == nil)
        #expect(x.frames[0].entries[1] == PTE(frame: 2, flags: [.present, .rw, .user]), "adjusted on update")
        #expect(update(2, PTE(frame: 0, flags: [.present])) == .einval, "no L3 linear entry")
        #expect(update(3, PTE(frame: 3, flags: [.present])) == .einval, "slot 3 is Xen's")
        #expect(update(2, PTE(frame: 3, flags: [.present, .global])) == .einval, "l3_disallow_mask")
        // The same config without compat accepts the linear entry and leaves flags as written.
        var y = XenState(config: MMUConfig(levels: 3, entriesPerTable: 4, machineFrames: 4, pfns: 4))
        #expect(y.hypercall(.mmuextOp([.pin(level: 3, mfn: 0)]), vcpu: 0).succeeded)
        #expect(y.hypercall(.mmuUpdate([.normal(ptr: EntryRef(mfn: 0, slot: 3), val: PTE(frame: 0, flags: [.present]))]), vcpu: 0).succeeded)
        #expect(y.frames[0].entries[3] == PTE(frame: 0, flags: [.present]))
        // Slot 3's L2 shared by two L3s: the second pin is refused.
        var z = XenState(config: config)
        for t in [0, 2] {
            #expect(z.hypercall(.mmuUpdate([.normal(ptr: EntryRef(mfn: t, slot: 3), val: l2)]), vcpu: 0).succeeded)
        }
        #expect(z.hypercall(.mmuextOp([.pin(level: 3, mfn: 0)]), vcpu: 0).succeeded)
        #expect(z.hypercall(.mmuextOp([.pin(level: 3, mfn: 2)]), vcpu: 0).error == .einval)
        #expect(z.check(.validatedEntries) == nil && z.check(.countsMatch) == nil)
    }

    // MARK: - Expectations that do not match

    @Test("a wrong expectation fails with exit 1 and names the step and the line")
    func wrongExpectationFails() throws {
        let s = try Self.parse(Self.small + """
        start:
          frames:
            0: {type: L2, pinned: true}
        steps:
          - pin: {level: 1, mfn: f1}
          - unpin: {mfn: f2}
            expect: ok
        """)
        let o = ScenarioRunner.run(s)
        #expect(o.exitCode == 1)
        #expect(o.steps[0].mismatches.isEmpty)
        let m = try #require(o.steps[1].mismatches.first)
        #expect(m.line == 10 && m.message.contains("expected ok, got -EINVAL"), "\(m)")
        let text = ScenarioReport.lines(o).joined(separator: "\n")
        #expect(text.contains("test.yaml:10: step 2: expected ok, got -EINVAL on the spec engine"), "\(text)")
        #expect(text.contains("state after step 2:") && text.contains("frame 1: guest, type L1"))
        let row = ScenarioReport.row(o)
        #expect(row.verdict == "failed" && row.exitCode == 1 && row.detail.hasPrefix("step 2 (line 10)"))
        #expect(CheckRun.junit([row]).contains("<failure message=\"failed\">step 2 (line 10)"))
    }

    @Test("assert:, breaks: and done: are checked, and each can fail")
    func assertionsBreaksAndDoneAreChecked() throws {
        let s = try Self.parse(Self.small + Self.doneAndBreaks + """
          - mmu-update: {ptr: f1.0, val: {present, -> f2}}
            assert: {frames: {1: {type: L1, type-count: 3, entries: {0: none}}}, cr3: [f1], m2p: {1: 0}}
          - tlb-flush:
            breaks: [counts-match]
        """)
        let o = ScenarioRunner.run(s)
        #expect(o.steps[0].mismatches.map(\.message).contains { $0.contains("expected 2 requests done, got 1") })
        let asserted = o.steps[1].mismatches.map(\.message)
        for key in ["frames.1.type: frame 1 has type writable, not L1", "type-count: frame 1 has type count 0, not 3",
                    "entries.0: entry 1[0] is 2:present, not 0", "cr3: vCPU 0's cr3 is none, not f1", "m2p.1: m2p[1] is none, not 0"] {
            #expect(asserted.contains { $0.contains(key) }, "\(key) not in \(asserted)")
        }
        #expect(o.steps[2].mismatches.contains { $0.message.contains("counts-match was expected to be broken") })
    }

    @Test("the runner's own checks can fail: a refusal that changed the state, engines that disagree")
    func runnerChecksCanFail() throws {
        // A refused request must leave the state as the requests before it did.
        let before = XenState(config: MMUConfig())
        var after = before
        after.frames[1].pinned = true
        let call = XenAction.hypercall(vcpu: 0, .mmuextOp([.tlbFlush, .unpin(mfn: 1)]))
        let got = XenAnswer(done: 1, error: .einval, store: nil)
        #expect(ScenarioRunner.refusalChangedState(call, got, before: before, after: before) == nil)
        #expect(ScenarioRunner.refusalChangedState(call, got, before: before, after: after)?.contains("must change nothing") == true)
        // The fast engine with a reference leak: the lockstep comparison sees it.
        let s = try Self.parse(Self.small + """
        steps:
          - mmu-update: {ptr: f0.0, val: {present, -> f1}}
          - pin: {level: 2, mfn: f0}
          - mmu-update: {ptr: f0.0, val: none}
        """)
        #expect(ScenarioRunner.run(s).matched)
        let o = ScenarioRunner.run(s, fastDefects: [.keepOldReference])
        #expect(o.steps[2].mismatches.contains { $0.message.contains("the engines") }, "\(o.steps.map(\.mismatches))")
    }

    // MARK: - Malformed scenarios: FILE:LINE: key

    @Test("malformed scenarios are refused with the file, the line and the key", arguments: [
        ("steps:\n  - pin: {level: 2, mfn: f0}\n    expect: -ENOPE\n", "steps[0].expect", 6),
        ("steps:\n  - pinn: {level: 2, mfn: f0}\n", "steps[0].pinn", 5),
        ("steps:\n  - set-pmd: {cpu: 0}\n", "steps[0].set-pmd", 5),
        ("steps:\n  - mmu-update: {ptr: f0[1], val: none}\n", "yaml", 5),
        ("steps:\n  - mmu-update: {ptr: f0.x, val: none}\n", "steps[0].mmu-update.ptr", 5),
        ("steps:\n  - mmu-update: {ptr: f0.1, val: {present, rx, -> f1}}\n", "steps[0].mmu-update.val", 5),
        ("steps:\n  - mmu-update: {ptr: f0.1, val: {present, -> p1}}\n", "steps[0].mmu-update.val", 5),
        ("steps:\n  - mmu-update: {ptr: f0.1}\n", "steps[0].mmu-update", 5),
        ("steps:\n  - batch:\n      - pin: {level: 2, mfn: f0}\n      - mmu-update: {ptr: f0.1, val: none}\n", "steps[0].batch", 6),
        ("steps:\n  - multicall:\n      - pin: {level: 2, mfn: f0}\n    expect: ok\n", "steps[0].expect", 7),
        ("steps:\n  - update-va-mapping: {va: <0.0.0>, val: none}\n", "steps[0].update-va-mapping.va", 5),
        ("steps:\n  - update-va-mapping: {va: <0.0>, val: none, flush: [UVMF_INVLPG, UVMF_TLB_FLUSH]}\n", "steps[0].update-va-mapping.flush", 5),
        ("steps:\n  - pin: {level: 2, mfn: f0}\n    done: 2\n", "steps[0].done", 6),
        ("steps:\n  - pin: {level: 2, mfn: f0}\n    breaks: [no-stale-cr3]\n", "steps[0].breaks", 6),
        ("steps:\n  - pin: {level: 2, mfn: f0}\n    assert: {frames: {7: {type: L1}}}\n", "steps[0].assert.frames", 6),
        ("steps: []\n", "steps", 4),
        ("start:\n  frames:\n    0: {type: L5}\nsteps:\n  - tlb-flush:\n", "start.frames.0.type", 6),
        ("start:\n  cr3: [f0, f1]\nsteps:\n  - tlb-flush:\n", "start.cr3", 5),
        ("bogus: 1\nsteps:\n  - tlb-flush:\n", "bogus", 4),
    ])
    func malformed(_ body: String, _ key: String, _ line: Int) {
        let e = Self.error(Self.small + body)
        #expect(e?.key == key && e?.line == line, "\(String(describing: e))")
        #expect(e?.file.hasSuffix("test.yaml") == true)
    }

    @Test("a guest step in a hypervisor scenario (and the reverse) names the other model")
    func operationOfTheOtherModel() throws {
        let e = Self.error(Self.small + "steps:\n  - mm-alloc: {cpu: 0, mm: 1}\n")
        #expect(e?.message.contains("operation of the guest model") == true, "\(String(describing: e))")
        let g = Self.error("spec: ../guest-two-mms.yaml\nsteps:\n  - pin: {level: 2, mfn: f0}\n")
        #expect(g?.message.contains("operation of the hypervisor model") == true && g?.line == 3, "\(String(describing: g))")
        let both = Self.error("spec: ../guest-two-mms.yaml\nmodel: guest\nsteps:\n  - mm-alloc: {cpu: 0, mm: 1}\n")
        #expect(both?.key == "model")
    }

    @Test("a declared start state Xen could not be in is refused naming the frame and the rule", arguments: [
        // A validated L1 nothing references (Xen devalidates at type count 0).
        ("    1: {type: L1}\n", "counts-match", 6),
        // An RW L1 entry to a page table in force.
        ("    0: {type: L2, pinned: true, entries: [{present, -> f1}]}\n    1: {type: L1, entries: [{present, rw, -> f0}]}\n", "validated-entries", 7),
        // A pin of a frame that is no page table.
        ("    2: {type: writable, pinned: true}\n", "counts-match", 6),
    ])
    func inconsistentStartIsRefused(_ frames: String, _ rule: String, _ line: Int) {
        let e = Self.error(Self.small + "start:\n  frames:\n" + frames + "steps:\n  - tlb-flush:\n")
        #expect(e?.key == "start" && e?.message.contains("Xen cannot be in this state: \(rule)") == true && e?.line == line,
                "\(String(describing: e))")
    }

    @Test("a stated count that the references do not give is refused at its line")
    func wrongStatedCount() {
        let e = Self.error(Self.small + "start:\n  frames:\n    0: {type: L2, pinned: true, type-count: 2}\n  cr3: [f0]\n  m2p: {0: 1}\nsteps:\n  - tlb-flush:\n")
        #expect(e == nil)
        let bad = Self.error(Self.small + "start:\n  frames:\n    0: {type: L2, pinned: true, type-count: 3}\nsteps:\n  - tlb-flush:\n")
        #expect(bad?.key == "start.frames.0.type-count" && bad?.line == 6 && bad?.message.contains("give 1, not 3") == true, "\(String(describing: bad))")
        let compat = Self.error(Self.compat + """
        start:
          frames:
            0: {type: L3, pinned: true, entries: {0: {present, -> f1}}}
            1: {type: L2}
        steps:
          - tlb-flush:
        """)
        #expect(compat?.message.contains("_PAGE_RW|_PAGE_USER") == true && compat?.line == 6, "\(String(describing: compat))")
    }

    @Test("a guest scenario may declare its start on top of the booted guest; one the seed cannot be in is refused")
    func guestStart() throws {
        let s = try Self.parse("""
        spec: ../guest-pae.yaml
        start:
          mms:
            1: {pgd: p5, tables: {p5: pgd}}
        steps:
          - activate-mm: {cpu: 0, mm: 1}
          - multicalls: {cpu: 0}
            assert: {page-pinned: {5: true}, frames: {6: {type: L3, pinned: true}}, cr3: [f6, f11]}
        """)
        let o = ScenarioRunner.run(s)
        #expect(o.matched, "\(ScenarioReport.lines(o).joined(separator: "\n"))")
        // Without the declared mm, activate-mm has nothing to activate.
        let booted = try Self.parse("spec: ../guest-pae.yaml\nsteps:\n  - activate-mm: {cpu: 0, mm: 1}\n    expect: not-applicable\n")
        #expect(ScenarioRunner.run(booted).matched)
        let bad = Self.error("spec: ../guest-pae.yaml\nstart:\n  page-pinned: {9: true}\nsteps:\n  - leave-lazy-cpu: {cpu: 0}\n")
        #expect(bad?.key == "start" && bad?.line == 3 && bad?.message.contains("page-pinned-agrees") == true, "\(String(describing: bad))")
        let key = Self.error("spec: ../guest-pae.yaml\nstart:\n  cpus: {0: {lazy: mmu}}\nsteps:\n  - leave-lazy-cpu: {cpu: 0}\n")
        #expect(key?.key == "start.cpus.0.lazy" && key?.line == 3, "\(String(describing: key))")
    }

    // MARK: - What a demanding user's review found (each failed before its fix)

    @Test("guest steps: cpu defaults to 0; set-phys-to-machine takes no cpu")
    func guestStepDefaults() throws {
        let s = try Self.parse("""
        spec: ../guest-pae.yaml
        steps:
          - mm-alloc: {mm: 1}
          - set-phys-to-machine: {pfn: 11, mfn: INVALID}
            expect: BUG
            breaks: [no-failed-hypercall, p2m-roundtrip]
        """)
        let o = ScenarioRunner.run(s)
        #expect(o.steps[0].mismatches.isEmpty, "\(o.steps[0].mismatches)")
        #expect(o.steps[0].description == "mm-alloc(cpu: 0, mm: 1)")
        #expect(o.steps[1].description.hasPrefix("set-phys-to-machine(pfn: 11"))
    }

    @Test("the fast engine runs values with Accessed/Dirty when preserve-ad is off, and tells written from emulated stores")
    func fastEngineRunsTheseScenarios() throws {
        let s = try Self.parse(Self.small.replacingOccurrences(of: "vcpus: 1}", with: "vcpus: 1}\nfeatures: {preserve-ad: false}") + """
        start:
          frames:
            0: {type: L2, pinned: true, entries: [{present, rw, -> f1}]}
            1: {type: L1, entries: [{present, -> f1}, {present, rw, -> f2}]}
            2: {type: writable}
          cr3: [f0]
        steps:
          - mmu-update: {ptr: f1.0, val: {present, accessed, -> f1}}
          - guest-store: {va: <0.0>, slot: 0, val: {present, -> f1}}
            expect: emulated
          - guest-store: {va: <0.1>, slot: 0, val: none}
            expect: emulated
        """)
        let o = ScenarioRunner.run(s)
        #expect(o.engines == ["spec", "fast"], "\(o.fastSkipped ?? "")")
        #expect(o.steps[1].mismatches.isEmpty)
        // The third store is a plain write through an RW mapping, on both engines.
        #expect(o.steps[2].got.map(\.answers) == [["ok (written)"], ["ok (written)"]], "\(o.steps[2].got)")
        #expect(o.steps[2].mismatches.count == 2)
    }

    @Test("a start state Xen or the seed could not be in is refused", arguments: [
        ("start:\n  cr3: [f9]\nsteps:\n  - tlb-flush:\n", "start.cr3"),
        ("start:\n  frames:\n    1: {type: L4}\nsteps:\n  - tlb-flush:\n", "start.frames.1.type"),
        ("start:\n  frames:\n    1: {type: L1, pinned: true, owner: xen}\nsteps:\n  - tlb-flush:\n", "start.frames.1.owner"),
    ])
    func impossibleStarts(_ body: String, _ key: String) {
        let e = Self.error(Self.small + body)
        #expect(e?.key == key, "\(String(describing: e))")
    }

    @Test("impossible guest and compat starts are refused")
    func impossibleGuestAndCompatStarts() {
        for (body, words) in [("  mms:\n    1: {pgd: 99}\n", "not a pfn"), ("  mms:\n    1: {pgd: p0, tables: {p0: pgd}}\n", "already a table of mm 0"),
                              ("  cpus:\n    0: {mm: 2, active-mm: 2}\n", "not a live process mm")] {
            let e = Self.error("spec: ../guest-pae.yaml\nstart:\n" + body + "steps:\n  - leave-lazy-cpu: {cpu: 0}\n")
            #expect(e?.message.contains(words) == true, "\(String(describing: e))")
        }
        let shared = Self.error(Self.compat + """
        start:
          frames:
            0: {type: L3, pinned: true, entries: {3: {present, rw, user, -> f1}}}
            1: {type: L2}
            2: {type: L3, pinned: true, entries: {3: {present, rw, user, -> f1}}}
        steps:
          - tlb-flush:
        """)
        #expect(shared?.message.contains("is shared") == true, "\(String(describing: shared))")
    }

    @Test("mismatches name the line of the entry, done: and breaks: that did not hold")
    func mismatchLines() throws {
        let s = try Self.parse(Self.small + Self.doneAndBreaks + """
          - tlb-flush:
            breaks: [counts-match]
            assert:
              frames:
                0:
                  entries:
                    0: none
                    1: {present, -> f1}
        """)
        let o = ScenarioRunner.run(s)
        #expect(o.steps[0].mismatches.map(\.line) == [9, 9], "\(o.steps[0].mismatches)")   // done:, on both engines
        let lines = Set(o.steps[1].mismatches.map(\.line))
        #expect(lines == [11, 17], "\(o.steps[1].mismatches)")   // breaks:, and slot 1's line (slot 0 holds)
    }

    @Test("a spec's invariants: list does not narrow a scenario")
    func everyInvariantIsChecked() throws {
        var s = try ScenarioLoader.load(file: Self.scenariosDir + "/seed-set-pmd-pinned.yaml")
        s.spec.invariants = [.p2mRoundtrip]
        #expect(ScenarioRunner.run(s).matched)
    }

    @Test("a file is a scenario by its top-level steps key, in any YAML style")
    func scenarioByKey() throws {
        let f = FileManager.default.temporaryDirectory.appendingPathComponent("mmucheck-flow-\(getpid()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: f) }
        try "{model: hypervisor, \"steps\": [{tlb-flush: }]}\n".write(toFile: f, atomically: true, encoding: .utf8)
        #expect(ScenarioLoader.isScenario(file: f))
        #expect(try CheckInputs.load(paths: [f]).scenarios.count == 1)
        #expect(!ScenarioLoader.isScenario(file: MutationAcceptanceTests.specsDir + "/hypervisor-small.yaml"))
        #expect(try ScenarioFiles.load(paths: [MutationAcceptanceTests.specsDir]).count == (try ScenarioFiles.load(paths: [Self.scenariosDir]).count))
    }

    @Test("entry values: a present entry names its frame; empty flag names are typos", arguments: [
        "{present, rw}", "\"1:\"", "\"1:present||rw\"", "{present, -> m1}",
    ])
    func badEntryValues(_ value: String) {
        let e = Self.error(Self.small + "steps:\n  - mmu-update: {ptr: f0.0, val: \(value)}\n")
        #expect(e?.key == "steps[0].mmu-update.val" && e?.line == 5, "\(String(describing: e))")
    }

    // MARK: - mmucheck check runs the scenarios

    @Test("check's inputs: a spec directory brings its scenarios/ folder; a scenario file is a scenario")
    func checkFindsScenarios() throws {
        let (specs, scenarios) = try CheckInputs.load(paths: [MutationAcceptanceTests.specsDir])
        #expect(specs.contains { $0.name == "hypervisor-small" })
        #expect(Set(scenarios.map(\.name)).isSuperset(of: ["xsa-182", "xsa-185", "seed-exit-lazy-mm"]))
        let one = try CheckInputs.load(paths: [Self.scenariosDir + "/xsa-185.yaml"])
        #expect(one.specs.isEmpty && one.scenarios.map(\.name) == ["xsa-185"])
    }
}

/// `FastXen.packed` (the fast engine's start from a declared state) is the inverse of the
/// abstraction function on reachable states; a packing with a wrong count is caught by the
/// fast engine's `counts-match`.
@Suite struct FastPackingTests {
    @Test(arguments: ["hypervisor-small.yaml", "hypervisor-compat-l3.yaml"])
    func packedInvertsSpecState(_ file: String) throws {
        let spec = try SpecLoader.load(file: MutationAcceptanceTests.specsDir + "/" + file)
        let model = try FastHypervisorModel(spec: spec)
        var frontier = model.initialStates(), seen = Set(frontier)
        var checked = 0
        while let s = frontier.first, checked < 3_000 {
            frontier.removeFirst()
            let x = model.specState(s)
            #expect(model.engine.packed(x) == s, "\(x)")
            checked += 1
            for a in model.actions(in: s) {
                if let n = model.next(s, a), seen.insert(n).inserted { frontier.append(n) }
            }
        }
        #expect(checked == 3_000)
    }

    /// `FastXen.storeOutcome` (how the fast engine reports a store, for scenarios) against the
    /// spec's `guestStore` on reachable states: nil when the spec refuses it, else the spec's kind.
    static func storeDisagreement(_ outcome: (FastHypervisorModel, FastXenState, XenAction) -> XenState.StoreOutcome?) throws -> String? {
        let spec = try SpecLoader.load(file: MutationAcceptanceTests.specsDir + "/hypervisor-small.yaml")
        let model = try FastHypervisorModel(spec: spec)
        var frontier = model.initialStates(), seen = Set(frontier)
        var checked = 0
        while let s = frontier.first, checked < 1_500 {
            frontier.removeFirst()
            checked += 1
            for a in model.xenActions {
                guard case .guestStore(let v, let va, let slot, let val) = a else { continue }
                var x = model.specState(s)
                let fast = outcome(model, s, a)
                switch x.guestStore(vcpu: v, va: va, slot: slot, val: val) {
                case .success(let k): if fast != k { return "\(a) in \(model.specState(s)): spec \(k), fast \(String(describing: fast))" }
                case .failure: if fast == .plainWrite { return "\(a) in \(model.specState(s)): spec refuses, fast writes" }
                }
            }
            for a in model.actions(in: s) {
                if let n = model.next(s, a), seen.insert(n).inserted { frontier.append(n) }
            }
        }
        return nil
    }

    @Test("the fast engine's store outcome agrees with the spec's; one that always says written is caught")
    func storeOutcomeAgrees() throws {
        #expect(try Self.storeDisagreement { m, s, a in
            guard case .guestStore(let v, let va, let slot, _) = a else { return nil }
            return m.engine.storeOutcome(s, vcpu: v, va: va, slot: slot)
        } == nil)
        #expect(try Self.storeDisagreement { _, _, _ in .plainWrite } != nil)
    }

    @Test func aWrongCountIsCaught() throws {
        let spec = try SpecLoader.load(file: MutationAcceptanceTests.specsDir + "/hypervisor-small.yaml")
        let model = try FastHypervisorModel(spec: spec)
        var x = XenState(config: spec.config)
        _ = x.hypercall(.mmuextOp([.pin(level: 2, mfn: 0)]), vcpu: 0)
        let packed = try #require(model.engine.packed(x))
        #expect(model.engine.check(.countsMatch, packed) == nil)
        var wrong = packed
        // The type count byte of frame 0 (after the entries and the meta bytes), one too many.
        let tc = spec.config.machineFrames * spec.config.entriesPerTable + spec.config.machineFrames
        wrong[tc] = wrong[tc] &+ 1
        #expect(model.engine.check(.countsMatch, wrong) != nil)
    }
}

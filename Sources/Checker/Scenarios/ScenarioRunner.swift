import MMUFast
import MMUSpec

/// What one step of a scenario did on one engine, and what did not match.
public struct ScenarioStepOutcome: Sendable {
    public let number: Int
    public let line: Int
    public let description: String
    public let expected: [String]
    /// The answers per engine ("spec", "fast"), one per expectation.
    public var got: [(engine: String, answers: [String])] = []
    /// Every way the step did not go as the scenario says (empty: it matched), each a sentence.
    public var mismatches: [(line: Int, message: String)] = []
    /// The spec engine's state after the step, rendered (`StateReport`).
    public var state: [String] = []
    public var note: String?
}

/// A scenario's run: every step on every engine that ran it.
public struct ScenarioOutcome: Sendable {
    public let scenario: Scenario
    public var steps: [ScenarioStepOutcome] = []
    /// The engines that ran it, spec first.
    public var engines: [String] = ["spec"]
    /// Why the fast engine did not run it (nil when it did).
    public var fastSkipped: String?
    /// The declared start state, rendered.
    public var startState: [String] = []
    public var seconds: Double = 0

    public var matched: Bool { steps.allSatisfy { $0.mismatches.isEmpty } }
    /// 0 when every step matched on every engine, else 1.
    public var exitCode: Int32 { matched ? 0 : 1 }
}

/// Runs scenarios on the spec engine and, for hypervisor scenarios whose state and values fit
/// its packed state, on the fast engine, step by step in lockstep: each engine's answer is
/// compared with the expectation, the two engines' states with each other, and a refused
/// request is checked to have changed nothing (by the runner, not by the author).
public enum ScenarioRunner {
    /// `xenMutations` / `guestMutations`: test-only rule removals (scenario files cannot name them).
    /// `fastDefects`: test-only defects of the fast engine (the lockstep comparison must catch them).
    public static func run(_ s: Scenario, xenMutations: Set<XenMutation> = [], guestMutations: Set<GuestMutation> = [],
                           engine: CheckSpec.Engine = .auto, fastDefects: Set<FastDefect> = []) -> ScenarioOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        var out: ScenarioOutcome
        switch s.spec.level {
        case .hypervisor: out = runHypervisor(s, mutations: xenMutations, engine: engine, fastDefects: fastDefects)
        case .guest: out = runGuest(s, mutations: guestMutations)
        }
        out.seconds = (clock.now - start).inSeconds
        return out
    }

    // MARK: - Hypervisor scenarios

    /// A spec state with `mutations`, holding the declared frames, cr3s and m2p (or the initial state).
    static func startState(_ s: Scenario, mutations: Set<XenMutation>) -> XenState {
        var x = XenState(config: s.spec.config, mutations: mutations)
        if let d = s.start { x.frames = d.frames; x.cr3 = d.cr3; x.m2p = d.m2p }
        return x
    }

    /// The hypercalls of a step, in order (a multicall's entries; one for anything else).
    static func calls(_ a: ScenarioStep.Action) -> [XenAction] {
        switch a {
        case .xen(let x): [x]
        case .multicall(_, let entries): entries
        case .guest, .multicalls: []
        }
    }

    /// The fast engine for this scenario, holding every entry value it names, and its start
    /// state; or why it cannot run it.
    static func fastEngine(_ s: Scenario, start: XenState, mutations: Set<XenMutation>,
                           defects: Set<FastDefect>) -> Result<(FastXen, FastXenState), FastUnsupported> {
        var values = start.frames.flatMap(\.entries)
        for step in s.steps {
            for a in calls(step.action) {
                for r in a.requests where r.operation.arguments.contains(.value) { values.append(r.value) }
            }
        }
        do {
            let engine = try FastXen(config: s.spec.config, entryValues: values, mutations: mutations, defects: defects)
            guard let packed = engine.packed(start) else {
                return .failure(FastUnsupported(reason: "the start state does not fit the packed state"))
            }
            return .success((engine, packed))
        } catch {
            return .failure(error)
        }
    }

    static func runHypervisor(_ s: Scenario, mutations: Set<XenMutation>, engine: CheckSpec.Engine, fastDefects: Set<FastDefect>) -> ScenarioOutcome {
        var out = ScenarioOutcome(scenario: s)
        var x = startState(s, mutations: mutations)
        out.startState = StateReport.lines(x)
        var fast: (engine: FastXen, state: FastXenState)?
        if engine != .spec {
            switch fastEngine(s, start: x, mutations: mutations, defects: fastDefects) {
            case .success(let (e, st)): fast = (e, st); out.engines.append("fast")
            case .failure(let why): out.fastSkipped = why.reason
            }
        }
        // Every invariant of the level (a spec file's invariants: narrows explore, not scenarios).
        let invariants = Invariant.hypervisorLevel
        for (i, step) in s.steps.enumerated() {
            var o = ScenarioStepOutcome(number: i + 1, line: step.line, description: step.description,
                                        expected: step.expect.map(\.description), note: step.note)
            func mismatch(_ line: Int, _ m: String) { o.mismatches.append((line, m)) }
            // The spec engine.
            var answers: [String] = []
            for (j, call) in calls(step.action).enumerated() {
                let before = x
                let got = XenAnswer.perform(call, on: &x)
                answers.append(got.text)
                let e = step.expect[j]
                if let (why, atDone) = judge(e, got) {
                    mismatch(atDone ? e.doneLine : e.line, why + (calls(step.action).count > 1 ? " (entry \(j + 1))" : "") + " on the spec engine")
                }
                if let why = refusalChangedState(call, got, before: before, after: x) { mismatch(step.line, why) }
            }
            o.got.append(("spec", answers))
            let broken = invariants.compactMap { inv in x.check(inv).map { (inv, $0) } }
            judgeInvariants(step, broken: broken, engine: "spec", mismatch: mismatch)
            for a in step.asserts {
                if let why = check(a.fact, x) { mismatch(a.line, "\(a.key): \(why)") }
            }
            // The fast engine, in lockstep.
            if var f = fast {
                var fastAnswers: [String] = []
                let entries = calls(step.action)
                for (j, call) in entries.enumerated() {
                    guard let got = XenAnswer.perform(call, on: &f.state, engine: f.engine) else {
                        mismatch(step.line, "the fast engine cannot hold an entry value of \(call)")
                        continue
                    }
                    fastAnswers.append(got.text)
                    if let (why, atDone) = judge(step.expect[j], got) {
                        mismatch(atDone ? step.expect[j].doneLine : step.expect[j].line, why + (entries.count > 1 ? " (entry \(j + 1))" : "") + " on the fast engine")
                    }
                }
                o.got.append(("fast", fastAnswers))
                let specOfFast = f.engine.specState(of: f.state, mutations: mutations)
                if specOfFast != x {
                    mismatch(step.line, "the engines disagree after this step: " + difference(x, specOfFast))
                }
                let fastBroken = invariants.compactMap { inv in f.engine.check(inv, f.state).map { (inv, $0) } }
                if fastBroken.map(\.0) != broken.map(\.0) {
                    mismatch(step.line, "the engines judge the invariants differently: spec breaks [\(broken.map(\.0.rawValue).joined(separator: ", "))], fast [\(fastBroken.map(\.0.rawValue).joined(separator: ", "))]")
                }
                fast = f
            }
            o.state = StateReport.lines(x)
            out.steps.append(o)
        }
        return out
    }

    /// When Xen refused `call` after `got.done` requests: nil if `after` is the state those
    /// requests alone leave from `before` (a refused request changes nothing), else why not.
    static func refusalChangedState(_ call: XenAction, _ got: XenAnswer, before: XenState, after: XenState) -> String? {
        guard let err = got.error else { return nil }
        var expected = before
        if got.done > 0, let prefix = XenAction(vcpu: call.vcpu, requests: Array(call.requests.prefix(got.done))) {
            _ = XenAnswer.perform(prefix, on: &expected)
        }
        if after == expected { return nil }
        return "Xen refused \(call) with \(err) after \(got.done) requests, but the state differs from the one those \(got.done) requests leave "
            + "(a refused request must change nothing): " + difference(expected, after, "expected", "got")
    }

    /// nil when `got` is what `e` expects, else what differs (and whether it is the `done:` count).
    static func judge(_ e: Expectation, _ got: XenAnswer) -> (String, Bool)? {
        let ok: Bool
        switch e.kind {
        case .ok: ok = got.error == nil
        case .error(let code): ok = got.error == code
        case .fault: ok = got.error != nil
        case .emulated: ok = got.error == nil && got.store == .emulatedL1Update
        case .written: ok = got.error == nil && got.store == .plainWrite
        case .bug, .notApplicable: ok = false
        }
        var kind = e
        kind.done = nil
        if !ok { return ("expected \(kind), got \(got.text)", false) }
        if let d = e.done, d != got.done { return ("expected \(d) requests done, got \(got.done) (\(got.text))", true) }
        return nil
    }

    /// The step's `breaks:` must be broken, every other checked invariant must hold.
    static func judgeInvariants(_ step: ScenarioStep, broken: [(Invariant, String)], engine: String, mismatch: (Int, String) -> Void) {
        for (inv, why) in broken where !step.breaks.contains(inv) {
            mismatch(step.line, "\(inv.rawValue) is broken after this step on the \(engine) engine: \(why)")
        }
        for inv in step.breaks where !broken.contains(where: { $0.0 == inv }) {
            mismatch(step.breaksLine, "breaks: \(inv.rawValue) was expected to be broken after this step, but it holds (\(engine) engine)")
        }
    }

    /// nil when the fact holds in `x`, else what the state says.
    static func check(_ fact: Assertion.Fact, _ x: XenState) -> String? {
        func frame(_ m: Int) -> Frame? { x.isFrame(m) ? x.frames[m] : nil }
        switch fact {
        case .type(let m, let t): return frame(m)?.type == t ? nil : "frame \(m) has type \(frame(m)?.type.description ?? "?"), not \(t)"
        case .validated(let m, let b): return frame(m)?.validated == b ? nil : "frame \(m) is \(b ? "not " : "")validated"
        case .pinned(let m, let b): return frame(m)?.pinned == b ? nil : "frame \(m) is \(b ? "not " : "")pinned"
        case .owner(let m, let o): return frame(m)?.owner == o ? nil : "frame \(m) is owned by \(o == .guest ? "Xen" : "the guest")"
        case .typeCount(let m, let c): let a = x.typeCount(m); return a == c ? nil : "frame \(m) has type count \(a), not \(c)"
        case .generalCount(let m, let c): let a = x.generalCount(m); return a == c ? nil : "frame \(m) has general count \(a), not \(c)"
        case .entry(let m, let slot, let e):
            let a = x.entry(m, slot)
            return a == e ? nil : "entry \(m)[\(slot)] is \(a.map(\.description) ?? "missing"), not \(e)"
        case .cr3(let v, let root):
            let a = x.cr3.indices.contains(v) ? x.cr3[v] : nil
            return a == root ? nil : "vCPU \(v)'s cr3 is \(a.map { "f\($0)" } ?? "none"), not \(root.map { "f\($0)" } ?? "none")"
        case .m2p(let m, let p):
            let a = x.m2p.indices.contains(m) ? x.m2p[m] : nil
            return a == p ? nil : "m2p[\(m)] is \(a.map(String.init) ?? "none"), not \(p.map(String.init) ?? "none")"
        case .p2m, .pagePinned, .bug: return nil   // guest facts: checked by checkGuest
        }
    }

    /// The first difference between two spec states, in words.
    static func difference(_ a: XenState, _ b: XenState, _ la: String = "spec", _ lb: String = "fast") -> String {
        for f in a.frames.indices where a.frames[f] != b.frames[f] {
            return "\(la) \(StateReport.lines(a)[f]); \(lb) \(StateReport.lines(b)[f])"
        }
        if a.cr3 != b.cr3 { return "cr3: \(la) \(a.cr3), \(lb) \(b.cr3)" }
        if a.m2p != b.m2p { return "m2p: \(la) \(a.m2p), \(lb) \(b.m2p)" }
        return "\(la) \(a); \(lb) \(b)"
    }

    // MARK: - Guest scenarios

    static func runGuest(_ s: Scenario, mutations: Set<GuestMutation>) -> ScenarioOutcome {
        var out = ScenarioOutcome(scenario: s)
        out.fastSkipped = "the fast engine covers the hypervisor model only"
        var g = GuestState(config: s.spec.config, mutations: mutations)
        if let d = s.guestStart {
            // The declared state, under this run's mutations (they live in the state).
            g.xen = d.xen; g.p2m = d.p2m; g.pagePinned = d.pagePinned; g.savePinned = d.savePinned
            g.mms = d.mms; g.cpus = d.cpus; g.suspended = d.suspended
        }
        out.startState = StateReport.lines(g)
        let invariants = Invariant.guestLevel
        for (i, step) in s.steps.enumerated() {
            var o = ScenarioStepOutcome(number: i + 1, line: step.line, description: step.description,
                                        expected: step.expect.map(\.description), note: step.note)
            func mismatch(_ line: Int, _ m: String) { o.mismatches.append((line, m)) }
            let before = g
            var r = GuestOpResult.notApplicable
            var op = GuestOp.multicallEntry(cpu: 0)
            switch step.action {
            case .guest(let one):
                op = one
                r = g.step(op)
            case .multicalls(let c):
                // multicall-entry until the CPU has nothing in flight (not applicable if it had none).
                op = .multicallEntry(cpu: c)
                var steps = 0
                while g.cpus.indices.contains(c), !g.cpus[c].inFlight.isEmpty, steps < 10_000 {
                    r = g.step(op)
                    steps += 1
                    if case .ok = r { continue }
                    break
                }
            case .xen, .multicall:
                continue
            }
            let got: Expectation.Kind
            let text: String
            switch r {
            case .ok: got = .ok; text = "ok"
            case .failed(let m): got = .bug; text = "BUG (\(m))"
            case .notApplicable: got = .notApplicable; text = "not-applicable (\(before.notApplicableReason(op) ?? "?"))"
            }
            o.got.append(("spec", [text]))
            let e = step.expect[0]
            if e.kind != got { mismatch(e.line, "expected \(e), got \(text) on the spec engine") }
            if got == .notApplicable, g != before {
                mismatch(step.line, "the operation was not applicable but the state changed")
            }
            let broken = invariants.compactMap { inv in g.check(inv).map { (inv, $0) } }
            judgeInvariants(step, broken: broken, engine: "spec", mismatch: mismatch)
            for a in step.asserts {
                if let why = checkGuest(a.fact, g) { mismatch(a.line, "\(a.key): \(why)") }
            }
            o.state = StateReport.lines(g)
            out.steps.append(o)
        }
        return out
    }

    static func checkGuest(_ fact: Assertion.Fact, _ g: GuestState) -> String? {
        switch fact {
        case .p2m(let pfn, let mfn):
            guard (0..<g.config.pfns).contains(pfn) else { return "pfn \(pfn) is not a pfn of the guest" }
            let a = g.pfnToMFN(pfn)
            func name(_ m: Int) -> String { m == P2M.invalidEntry ? "INVALID" : "f\(m)" }
            return a == mfn ? nil : "p2m[\(pfn)] is \(name(a)), not \(name(mfn))"
        case .pagePinned(let pfn, let b): return g.pagePinned.contains(pfn) == b ? nil : "page \(pfn) is \(b ? "not " : "")PagePinned"
        case .bug(let b): return (g.bug != nil) == b ? nil : (b ? "the guest has not hit a BUG" : "the guest hit a BUG: \(g.bug ?? "")")
        default: return check(fact, g.xen)
        }
    }
}

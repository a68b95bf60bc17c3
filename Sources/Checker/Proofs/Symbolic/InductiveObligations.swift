import MMUSpec
import SMT

/// How the inductive steps encode Xen's two recursive parts (`get_page_type`'s entry loop and
/// devalidation): unrolled (`exact`: every counterexample is a real step) or by their proved
/// contracts (`modular`: queries that stay small at sizes the unrolled ones cannot reach).
public enum ProofEncoding: String, CaseIterable, Sendable, Codable {
    case exact
    case modular
}

/// The protocol's invariants proved for every state of a size, reachable or not, in the
/// style of Hyperkernel: one obligation per (operation x invariant) of the strengthened
/// invariant, one per invariant for the initial state, and one per safety property that
/// follows from the strengthened invariant without being inductive on its own.
///
/// The strengthened invariant is `well-typed` (auxiliary: the encoding's domain, preserved by
/// every operation), `validated-entries` and `counts-match`. `no-writable-pagetable` and
/// `no-pagetable-from-writable` are consequences (`inv-implies-*`): every table a walk from a
/// root uses is validated (a root is validated, and validated-entries makes every target of a
/// validated table's entry a validated table of the right level), so a writable leaf names a
/// validated writable frame, never a table in force or a pinned frame. Neither is inductive
/// alone, and without counts-match they do not follow (the twin
/// `inv-implies-no-writable-pagetable-twin-without-counts-match`). docs/proofs.md.
public enum InductiveProofs {
    /// An invariant the inductive step assumes and proves: the spec's, or auxiliary.
    public enum Part: String, CaseIterable, Sendable {
        case wellTyped = "well-typed"
        case validatedEntries = "validated-entries"
        case countsMatch = "counts-match"

        var invariant: Invariant? {
            switch self {
            case .wellTyped: nil
            case .validatedEntries: .validatedEntries
            case .countsMatch: .countsMatch
            }
        }
    }

    /// The safety properties proved from the strengthened invariant.
    public static let safety: [Invariant] = [.noWritablePagetable, .noPagetableFromWritable]

    /// The named conjuncts of one part on `s`.
    static func conjuncts(_ part: Part, _ s: SymbolicXenState, representatives: Bool = false) -> [(name: String, formula: Expr)] {
        if let inv = part.invariant { return s.conjuncts(inv, representatives: representatives) }
        return [("types in the domain", s.wellTyped)]
    }

    static func holds(_ parts: [Part], _ s: SymbolicXenState) -> Expr {
        s.ctx.and(parts.flatMap { conjuncts($0, s).map(\.formula) })
    }

    /// What the spec says of a state: the hypervisor invariants it breaks, each with its sentence.
    static func broken(_ s: XenState) -> [String] {
        s.violations().map { "\($0.0.rawValue): \($0.1)" }
    }

    /// Every obligation at `config`'s size (`mutations`: test-only rule removals, for twins;
    /// `assume`: the parts the step may assume). `only`: the names to build (nil: all).
    static func obligations(config: MMUConfig, values: [PTE] = [], mutations: Set<XenMutation> = [], assume: [Part] = Part.allCases,
                            suffix: String = "", expectation: ProofObligation.Expectation = .proved,
                            note: String = "", only: Set<String>? = nil, encoding: ProofEncoding = .exact) -> [ProofObligation] {
        let size = SymbolicSize(config: config, mutations: mutations, modular: encoding == .modular)
        let assumed = assume.map(\.rawValue).joined(separator: ", ")
        var out: [ProofObligation] = []
        func add(_ name: String, _ summary: String, _ goals: @escaping @Sendable (Context) -> [Goal]) {
            if let only, !only.contains(name + suffix) { return }
            out.append(ProofObligation(name: name + suffix, summary: summary + note, expectation: expectation, goals: goals))
        }
        for part in Part.allCases {
            add("init-implies-\(part.rawValue)", "the initial state satisfies \(part.rawValue)") { ctx in
                // The initial state's numbers are all 0: they fit every width.
                guard let s = SymbolicXenState.constant(ctx, size, XenState(config: config, mutations: mutations)) else {
                    preconditionFailure("the initial state does not fit the encoding")
                }
                return [Goal(part.rawValue, holds([part], s))]
            }
        }
        for op in XenOperation.allCases {
            for part in Part.allCases {
                add("\(op.name)-preserves-\(part.rawValue)",
                    "\(op.name), with any arguments, from any state satisfying \(assumed), keeps \(part.rawValue)") { ctx in
                    let s = SymbolicXenState.fresh(ctx, size, "pre_")
                    let r = SymbolicRequest.fresh(ctx, size, op)
                    let outcome = s.transition(r)
                    let next = outcome.state
                    let premise = holds(assume, s) && outcome.assumptions
                    let targets = goalTargets(part.rawValue, modular: size.modular, whole: holds([part], next)) {
                        conjuncts(part, next, representatives: true)
                    }
                    return targets.map { target in
                    let formula = premise ==> target.formula
                    return Goal(target.name, formula, explain: { first in
                        // Prefer a counterexample the explorer's adversary could produce (guest
                        // frames, entry values from the spec's entry-flags): `mmucheck reach` can
                        // then decide it. Any counterexample refutes the step; this one is readable.
                        let (model, outside) = preferredModel(ctx, refuting: formula, s, adversaryValues(s, r, size, values), else: first)
                        guard let pre = s.concrete(in: model), let action = r.concrete(in: model, size) else {
                            return Explanation(lines: ["the counterexample lies outside the model's domain"])
                        }
                        var post = pre
                        let result = post.apply(action)
                        let conjunct = conjuncts(part, next).first { model.truth($0.formula) == false }?.name ?? "?"
                        var lines = ["step: \(action) -> \(result)", "broken conjunct of \(part.rawValue): \(conjunct)",
                                     "pre-state:  \(pre)", "post-state: \(post)"]
                        // The spec's own verdict on the step, when the part is one of its invariants:
                        // a counterexample the spec does not confirm would be an encoding error.
                        if let inv = part.invariant, pre.check(inv) == nil {
                            lines.append(post.check(inv) != nil ? "the spec agrees: \(inv.rawValue) breaks after the step (\(post.check(inv)!))"
                                         : size.modular ? "the spec says \(inv.rawValue) still holds after the step: the modular encoding's contracts allow a result the real step does not give (spurious; try --encoding exact at this size)"
                                         : "ENCODING ERROR: the spec says \(inv.rawValue) still holds after the step")
                        }
                        let was = broken(pre)
                        if !was.isEmpty {
                            lines.append("the pre-state breaks \(was.joined(separator: "; ")): not reachable (the spec's invariants hold on every reachable state), so the assumed invariant is too weak")
                        } else if outside {
                            lines.append("the pre-state satisfies every hypervisor invariant but holds values the spec's adversary never writes: `mmucheck reach` cannot decide it (try a spec with more entry-flags)")
                        } else {
                            lines.append("the pre-state satisfies every hypervisor invariant: `mmucheck reach` decides whether the spec's adversary reaches it")
                        }
                        return Explanation(lines: lines, state: pre)
                    })
                    }
                }
            }
        }
        for inv in safety {
            add("inv-implies-\(inv.rawValue)", "every state satisfying \(assumed) satisfies \(inv.rawValue)") { ctx in
                let s = SymbolicXenState.fresh(ctx, size, "pre_")
                // Modular: one query per conjunct of root 0 (see the steps above).
                let targets = goalTargets(inv.rawValue, modular: size.modular, whole: s.formula(inv)) {
                    s.conjuncts(inv, representatives: true)
                }
                let premise = holds(assume, s)
                return targets.map { target in
                    let formula = premise ==> target.formula
                    return Goal(target.name, formula, explain: { first in
                        // As for the steps: a state `mmucheck reach` can decide, if there is one.
                        let model = preferredModel(ctx, refuting: formula, s, adversaryValues(s, nil, size, values), else: first).model
                        guard let state = s.concrete(in: model) else { return Explanation(lines: ["the counterexample lies outside the model's domain"]) }
                        let conjunct = s.conjuncts(inv).first { model.truth($0.formula) == false }?.name ?? "?"
                        return Explanation(lines: ["broken conjunct of \(inv.rawValue): \(conjunct)", "state: \(state)",
                                                   "the state breaks " + broken(state).joined(separator: "; ")], state: state)
                    })
                }
            }
        }
        return out
    }

    /// The lemmas the modular encoding rests on (`ModularContracts.swift`), proved at every size
    /// whatever the encoding of the steps:
    /// - `get-page-type-lN-contract`: the entry loop of `get_page_type(f, LN)`, unrolled one level
    ///   (the loops one level down by their own contracts), satisfies its contract from every
    ///   state where it can start;
    /// - `devalidation-contract`: the unrolled rounds of devalidation satisfy theirs from every state.
    /// Twins: `get-page-type-l1-contract-twin-allow-writable-l1-to-pagetable` (an RW L1 entry to a
    /// page table accepted breaks the entry-rule conjunct) and `devalidation-contract-twin-one-round`
    /// (one round instead of a fixpoint leaves a frame nothing references).
    static func contractLemmas(config: MMUConfig, mutations: Set<XenMutation> = [], rounds: Int? = nil, suffix: String = "",
                               expectation: ProofObligation.Expectation = .proved, note: String = "",
                               levels: [Int]? = nil, devalidation: Bool = true, only: Set<String>?) -> [ProofObligation] {
        let size = SymbolicSize(config: config, mutations: mutations, modular: true)
        var out: [ProofObligation] = []
        func add(_ name: String, _ summary: String, _ goals: @escaping @Sendable (Context) -> [Goal]) {
            if let only, !only.contains(name + suffix) { return }
            out.append(ProofObligation(name: name + suffix, summary: summary + note, expectation: expectation, goals: goals))
        }
        /// One goal per conjunct (smaller queries than their conjunction), each naming its conjunct.
        @Sendable func goal(_ name: String, _ premise: Expr, _ conjuncts: [(name: String, formula: Expr)], state s: SymbolicXenState) -> [Goal] {
            conjuncts.map { c in
                let label = c.name.isEmpty ? name : c.name
                return Goal(label, premise ==> c.formula, explain: { model in
                    var lines = ["broken conjunct of the contract: \(label)"]
                    let state = s.concrete(in: model)
                    if let state { lines.append("state: \(state)") }
                    return Explanation(lines: lines, state: state)
                })
            }
        }
        for level in levels ?? Array(1...config.levels) {
            add("get-page-type-l\(level)-contract",
                "the entry loop of get_page_type(f, L\(level)), from any state where f is retyped and marked validated, meets its contract") { ctx in
                let s = SymbolicXenState.fresh(ctx, size, "pre_")
                let f = ctx.bv("arg_frame", width: size.frameBits)
                var run = SymbolicRun(s)
                s.entryLoop(&run, f, level: level, when: ctx.bool(true))
                let premise = s.loopPrecondition(f, level: level) && ctx.and(run.assumptions) && run.ok
                return goal("contract", premise, s.loopContract(run.state, table: f, representatives: true), state: s)
            }
        }
        if devalidation {
            add("devalidation-contract", "devalidation, from any state, ends where its contract says") { ctx in
                let s = SymbolicXenState.fresh(ctx, size, "pre_")
                let n = rounds ?? size.frames
                let states = s.devalidationRounds(n + 1)
                // A lemma chain: each step proved from the ones before it, then the contract from all.
                let chain = s.devalidationChain(states)
                var goals: [Goal] = []
                for step in chain {
                    goals += goal("fixpoint/" + step.name, ctx.and(step.uses.map { chain[$0].formula }), [("", step.formula)], state: s)
                }
                // The contract from the subsets and the last step (a fixpoint), not the whole chain.
                let premise = ctx.and(chain.filter { $0.name.hasSuffix("only devalidates") }.map(\.formula) + [chain[chain.count - 1].formula])
                return goals + goal("contract", premise, s.devalidationContract(states[n], representatives: true), state: s)
            }
        }
        return out
    }

    /// The obligations and their known-false twins at `config`'s size:
    /// - `...-twin-old-fast-path`: with XSA-182's fast path put back (L2-L4 entries), an
    ///   mmu-update breaks validated-entries (RW added to a linear entry);
    /// - `...-twin-allow-writable-l1-to-pagetable`: with an RW L1 entry to a page table
    ///   accepted, the same;
    /// - `inv-implies-no-writable-pagetable-twin-without-counts-match`: the safety property does
    ///   not follow from validated-entries alone; the counterexample breaks counts-match, so it
    ///   is unreachable: the weakened invariant, not the model, is at fault.
    /// `values`: the entry values the explorer's adversary writes (`XenState.entryValues` of the
    /// spec's entry-flags): counterexamples are sought among them first.
    public static func all(config: MMUConfig, values: [PTE] = [], only: Set<String>? = nil, encoding: ProofEncoding = .exact) -> [ProofObligation] {
        obligations(config: config, values: values, only: only, encoding: encoding)
            + contractLemmas(config: config, only: only)
            + obligations(config: config, values: values, mutations: [.oldFastPath], suffix: "-twin-old-fast-path", expectation: .refuted,
                          note: ", with XSA-182's fast path put back (mod_l2..l4_entry skip re-validation when frame and PRESENT stay)", only: only ?? ["mmu-update-preserves-validated-entries-twin-old-fast-path"], encoding: encoding)
            + obligations(config: config, values: values, mutations: [.allowWritableL1ToPagetable], suffix: "-twin-allow-writable-l1-to-pagetable",
                          expectation: .refuted, note: ", with an RW L1 entry to a page table accepted", only: only ?? ["mmu-update-preserves-validated-entries-twin-allow-writable-l1-to-pagetable"], encoding: encoding)
            + obligations(config: config, values: values, assume: [.wellTyped, .validatedEntries], suffix: "-twin-without-counts-match",
                          expectation: .refuted, note: " (counts-match not assumed: a weak invariant)", only: only ?? ["inv-implies-no-writable-pagetable-twin-without-counts-match"], encoding: encoding)
            + contractLemmas(config: config, mutations: [.allowWritableL1ToPagetable], suffix: "-twin-allow-writable-l1-to-pagetable", expectation: .refuted,
                             note: ", with an RW L1 entry to a page table accepted", levels: [1], devalidation: false,
                             only: only ?? ["get-page-type-l1-contract-twin-allow-writable-l1-to-pagetable"])
            + (config.levels >= 2 ? contractLemmas(config: config, rounds: 1, suffix: "-twin-one-round", expectation: .refuted,
                                                   note: " (one round of devalidation, not a fixpoint)", levels: [],
                                                   only: only ?? ["devalidation-contract-twin-one-round"]) : [])
    }

    /// What an obligation's goals ask: `whole` as one goal named `name` (exact), or one goal per
    /// conjunct, named `name/conjunct` (modular: meant for sizes where one query is too big,
    /// Hyperkernel style, each a smaller query).
    static func goalTargets(_ name: String, modular: Bool, whole: Expr,
                            _ conjuncts: () -> [(name: String, formula: Expr)]) -> [(name: String, formula: Expr)] {
        modular ? conjuncts().map { ("\(name)/\($0.name)", $0.formula) } : [(name, whole)]
    }

    /// A counterexample to `formula` on state `s` that `mmucheck reach` can decide, if there is
    /// one: tidy first (frames out of use untyped and zeroed: small, and likely reachable), then
    /// any within the adversary's values (`natural`), else the solver's `first`. `outside`: the
    /// model is the solver's first, possibly outside the adversary.
    static func preferredModel(_ ctx: Context, refuting formula: Expr, _ s: SymbolicXenState, _ natural: Expr,
                               else first: SMTModel) -> (model: SMTModel, outside: Bool) {
        for preference in [natural && tidy(s), natural] {
            if case .sat(let m)? = try? ctx.satisfy(!formula && preference, limits: SolverLimits(timeoutMs: 30_000)) { return (m, false) }
        }
        return (first, true)
    }

    /// Terms saying a state and a request use only what the explorer's adversary writes: frames
    /// the guest owns, entry values from `values` (all values when empty), cr3s in range.
    static func adversaryValues(_ s: SymbolicXenState, _ r: SymbolicRequest?, _ size: SymbolicSize, _ values: [PTE]) -> Expr {
        let ctx = s.ctx
        func allowed(_ e: SymbolicEntry) -> Expr {
            if values.isEmpty { return ctx.bool(true) }
            return ctx.or(values.map { v in
                e.flags.eq(UInt64(v.flags.rawValue)) && (v.isPresent ? e.frame.eq(UInt64(v.frame)) : e.frame.eq(0))
            })
        }
        var parts: [Expr] = r.map { [allowed($0.value)] } ?? []
        for f in s.frames {
            parts.append(!f.xen)
            parts += f.entries.map(allowed)
        }
        for v in 0..<size.vcpus { parts.append(s.cr3Set[v] ==> s.isFrame(s.cr3[v])) }
        return ctx.and(parts)
    }

    /// Terms saying every frame out of use (not validated, not pinned, no cr3) is untyped and
    /// zeroed, and the m2p is empty: what a counterexample need not mention.
    static func tidy(_ s: SymbolicXenState) -> Expr {
        let ctx = s.ctx
        var parts: [Expr] = s.m2pSet.map { !$0 }
        for (f, fr) in s.frames.enumerated() {
            let loaded = ctx.or((0..<s.size.vcpus).map { s.cr3Set[$0] && s.cr3[$0].eq(UInt64(f)) })
            let inUse = fr.validated || fr.pinned || loaded
            let zeroed = ctx.and(fr.entries.map { $0.flags.eq(0) && $0.frame.eq(0) })
            parts.append(inUse || (fr.type.eq(0) && zeroed))
        }
        return ctx.and(parts)
    }

    /// The modular encoding's steps rest on its lemmas: when one of them (not a twin) was run
    /// and did not hold, the names of those that did not, so that a report can say a step's
    /// "proved" is conditional. Empty when every lemma run held.
    public static func lemmasNotHolding(_ results: [ObligationResult]) -> [String] {
        results.filter { isLemma($0.name) && !$0.name.contains("-twin-") && $0.verdict != .holds }.map(\.name)
    }

    /// A lemma of the modular encoding (or its twin).
    public static func isLemma(_ name: String) -> Bool {
        name.hasPrefix("get-page-type-l") || name.hasPrefix("devalidation-contract")
    }

    /// Every name `all(config:)` gives at some size (4 levels: every `get-page-type-lN-contract`).
    public static var names: [String] { names(levels: 4) }

    /// The names `all(config:)` gives at `levels` levels (the same at every other size).
    public static func names(levels: Int) -> [String] {
        all(config: MMUConfig(levels: levels, entriesPerTable: 2, machineFrames: 2, pfns: 2)).map(\.name)
    }
}

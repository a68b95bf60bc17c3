import MMUSpec
import SMT

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
    static func conjuncts(_ part: Part, _ s: SymbolicXenState) -> [(name: String, formula: Expr)] {
        if let inv = part.invariant { return s.conjuncts(inv) }
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
                            note: String = "", only: Set<String>? = nil) -> [ProofObligation] {
        let size = SymbolicSize(config: config, mutations: mutations)
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
                    let next = s.transition(r).state
                    let formula = holds(assume, s) ==> holds([part], next)
                    return [Goal(part.rawValue, formula, explain: { first in
                        // Prefer a counterexample the explorer's adversary could produce (guest
                        // frames, entry values from the spec's entry-flags): `mmucheck reach` can
                        // then decide it. Any counterexample refutes the step; this one is readable.
                        let natural = adversaryValues(s, r, size, values)
                        var model = first
                        var outside = true
                        // Tidy first (frames out of use untyped and zeroed: small, and likely
                        // reachable), then any within the adversary, else the solver's first.
                        for preference in [natural && tidy(s), natural] {
                            if case .sat(let m)? = try? ctx.satisfy(!formula && preference, limits: SolverLimits(timeoutMs: 30_000)) {
                                model = m; outside = false; break
                            }
                        }
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
                    })]
                }
            }
        }
        for inv in safety {
            add("inv-implies-\(inv.rawValue)", "every state satisfying \(assumed) satisfies \(inv.rawValue)") { ctx in
                let s = SymbolicXenState.fresh(ctx, size, "pre_")
                return [Goal(inv.rawValue, holds(assume, s) ==> s.formula(inv), explain: { model in
                    guard let state = s.concrete(in: model) else { return Explanation(lines: ["the counterexample lies outside the model's domain"]) }
                    let conjunct = s.conjuncts(inv).first { model.truth($0.formula) == false }?.name ?? "?"
                    return Explanation(lines: ["broken conjunct of \(inv.rawValue): \(conjunct)", "state: \(state)",
                                               "the state breaks " + broken(state).joined(separator: "; ")], state: state)
                })]
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
    public static func all(config: MMUConfig, values: [PTE] = [], only: Set<String>? = nil) -> [ProofObligation] {
        obligations(config: config, values: values, only: only)
            + obligations(config: config, values: values, mutations: [.oldFastPath], suffix: "-twin-old-fast-path", expectation: .refuted,
                          note: ", with XSA-182's fast path put back (mod_l2..l4_entry skip re-validation when frame and PRESENT stay)", only: only ?? ["mmu-update-preserves-validated-entries-twin-old-fast-path"])
            + obligations(config: config, values: values, mutations: [.allowWritableL1ToPagetable], suffix: "-twin-allow-writable-l1-to-pagetable",
                          expectation: .refuted, note: ", with an RW L1 entry to a page table accepted", only: only ?? ["mmu-update-preserves-validated-entries-twin-allow-writable-l1-to-pagetable"])
            + obligations(config: config, values: values, assume: [.wellTyped, .validatedEntries], suffix: "-twin-without-counts-match",
                          expectation: .refuted, note: " (counts-match not assumed: a weak invariant)", only: only ?? ["inv-implies-no-writable-pagetable-twin-without-counts-match"])
    }

    /// Terms saying a state and a request use only what the explorer's adversary writes: frames
    /// the guest owns, entry values from `values` (all values when empty), cr3s in range.
    static func adversaryValues(_ s: SymbolicXenState, _ r: SymbolicRequest, _ size: SymbolicSize, _ values: [PTE]) -> Expr {
        let ctx = s.ctx
        func allowed(_ e: SymbolicEntry) -> Expr {
            if values.isEmpty { return ctx.bool(true) }
            return ctx.or(values.map { v in
                e.flags.eq(UInt64(v.flags.rawValue)) && (v.isPresent ? e.frame.eq(UInt64(v.frame)) : e.frame.eq(0))
            })
        }
        var parts: [Expr] = [allowed(r.value)]
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

    /// Every name `all(config:)` gives (the same at every size).
    public static var names: [String] {
        all(config: MMUConfig(levels: 2, entriesPerTable: 2, machineFrames: 2, pfns: 2)).map(\.name)
    }
}

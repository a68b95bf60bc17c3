import MMUFast
import MMUSpec

/// One replayed step: what the action did and which invariants hold after it.
public struct ReplayStep: Sendable {
    public let step: Int
    public let action: String
    public let result: String
    public let broken: [(invariant: String, message: String)]
    /// The state after the step, when asked for (`showState`): as the viewer draws it.
    public var view: StateView?
    /// The state after the step, rendered (`StateReport`), when asked for; else empty.
    public var state: [String] { view?.lines ?? [] }
}

public struct ReplayOutcome: Sendable {
    public let trace: LoadedTrace
    public let steps: [ReplayStep]
    /// The invariants broken in the initial state.
    public let brokenInitially: [(invariant: String, message: String)]
    /// The initial state, when asked for.
    public var initialView: StateView?
    /// The initial state, rendered, when asked for; else empty.
    public var initialState: [String] { initialView?.lines ?? [] }
    /// The engine that replayed it ("spec" or "fast").
    public var engine = "spec"
    /// Ctrl-C / SIGTERM stopped the replay before its last step.
    public var interrupted = false
    /// True when the trace's recorded invariant is broken after its last step.
    public var reproduced: Bool {
        guard let inv = trace.invariant else { return false }
        let last = steps.last?.broken ?? brokenInitially
        return last.contains { $0.invariant == inv }
    }
    /// 1 when the replay reaches a violation, else 3 when it was stopped early, else 0 (every
    /// invariant holds at every step).
    public var exitCode: Int32 {
        if steps.contains(where: { !$0.broken.isEmpty }) || !brokenInitially.isEmpty { return 1 }
        return interrupted ? 3 : 0
    }
}

/// Re-runs a trace on the model it names.
public enum Replay {
    /// `engine`: `.fast` replays on the fast engine (hypervisor traces whose configuration it
    /// holds); otherwise the spec.
    /// `showState`: render the state after every step (`ReplayStep.state`).
    /// `onStep`: called with each step as soon as it has run (a long replay shows progress).
    public static func run(_ t: LoadedTrace, engine: CheckSpec.Engine = .spec, showState: Bool = false,
                           onStep: ((ReplayStep) -> Void)? = nil) throws(SpecError) -> ReplayOutcome {
        switch t.spec.level {
        case .hypervisor:
            let mutations = Set(t.mutations.compactMap(XenMutation.init(rawValue:)))
            if engine == .fast {
                let model: FastHypervisorModel
                do { model = try FastHypervisorModel(spec: t.spec, mutations: mutations) } catch {
                    throw SpecError(file: t.file, line: 1, key: "#meta", message: "the fast engine cannot replay this trace: \(error.reason)")
                }
                var out = try replay(t, model: model, describe: { model.xenAction($0).description }, result: { s, a in
                    var copy = s
                    guard let r = model.engine.perform(model.xenAction(a), on: &copy) else { return "unrepresentable" }
                    return r.error.map(\.description) ?? "ok"
                }, render: showState ? { StateView(model.specState($0)) } : nil, onStep: onStep)
                out.engine = "fast"
                return out
            }
            let model = HypervisorModel(spec: t.spec, mutations: mutations)
            return try replay(t, model: model, describe: { $0.description }, result: { s, a in
                var copy = s
                return copy.apply(a).description
            }, render: showState ? { StateView($0) } : nil, onStep: onStep, extraActions: { s in
                // tlb-flush: an operation traces may use that the explorer never generates.
                s.cr3.indices.map { XenAction.hypercall(vcpu: $0, .mmuextOp([.tlbFlush])) }
            })
        case .guest:
            return try GuestModelSupport.replay(t, showState: showState, onStep: onStep)
        }
    }

    /// Replays by action index, checking that each index names the recorded action.
    /// `extraActions`: actions a trace may name that the explorer never offers (`list` and
    /// docs/model.md name them), tried when the step is none of the offered ones.
    static func replay<M: Model>(_ t: LoadedTrace, model: M, describe: (M.Action) -> String,
                                 result: (M.State, M.Action) -> String,
                                 render: ((M.State) -> StateView)? = nil,
                                 onStep: ((ReplayStep) -> Void)? = nil,
                                 extraActions: (M.State) -> [M.Action] = { _ in [] }) throws(SpecError) -> ReplayOutcome {
        guard var state = model.initialStates().first else {
            throw SpecError(file: t.file, line: 1, key: "#meta", message: "the model has no initial state")
        }
        func broken(_ s: M.State) -> [(invariant: String, message: String)] {
            model.invariants.compactMap { inv in inv.check(s).map { (inv.name, $0) } }
        }
        let initiallyBroken = broken(state)
        let initialRendered = render?(state)
        // Step 0 is the initial state (no action).
        onStep?(ReplayStep(step: 0, action: "", result: "", broken: initiallyBroken, view: initialRendered))
        var out: [ReplayStep] = []
        var interrupted = false
        for (i, step) in t.steps.enumerated() {
            if ExplorerInterrupt.flag.pointee != 0 { interrupted = true; break }
            let actions = model.actions(in: state)
            var action: M.Action? = actions.indices.contains(step.index) && describe(actions[step.index]) == step.action
                ? actions[step.index] : nil
            if action == nil { action = actions.first { describe($0) == step.action } }
            if action == nil { action = extraActions(state).first { describe($0) == step.action } }
            guard let action else {
                throw SpecError(file: t.file, line: step.line, key: "actions[\(i)]",
                                message: "'\(step.action)' is not an action of this model in the state reached at step \(i)")
            }
            let r = result(state, action)
            if let next = model.next(state, action) { state = next }
            out.append(ReplayStep(step: i + 1, action: describe(action), result: r, broken: broken(state),
                                  view: render?(state)))
            onStep?(out[out.count - 1])
        }
        var outcome = ReplayOutcome(trace: t, steps: out, brokenInitially: initiallyBroken)
        outcome.initialView = initialRendered
        outcome.interrupted = interrupted
        return outcome
    }
}

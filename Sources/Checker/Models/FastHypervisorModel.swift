import MMUFast
import MMUSpec

/// The hypervisor model on the fast engine (`MMUFast.FastXen`): the same actions, in the same
/// order, as `HypervisorModel`, on packed states with stored counts. The explorer runs on
/// it whenever the configuration fits (`CheckSpec.Engine.auto`); the differential tester
/// holds it to the spec. Traces are written as spec states and spec actions.
public struct FastHypervisorModel: Model {
    public typealias State = FastXenState
    public typealias Action = FastOp

    public let spec: CheckSpec
    public let mutations: Set<XenMutation>
    public let engine: FastXen
    /// The spec's actions, index-aligned with `ops`.
    public let xenActions: [XenAction]
    let ops: [FastOp]
    /// Forget stale types (see `XenState.forgettingStaleTypes`), as `HypervisorModel` does.
    public let mergesStaleTypes: Bool
    /// Each `mmu-update-preserve-ad` that acts as the `mmu-update` with the same arguments
    /// (`FastXen.preserveADActsAsNormal`: no entry value has Accessed/Dirty bits to keep)
    /// names that action: the explorer does not compute it twice.
    public let actionAliases: [Int?]
    /// [op.index]: the operation of each action (`operationIndex`).
    let operationIndices: [Int]

    /// Throws when the configuration does not fit the packed state.
    public init(spec: CheckSpec, mutations: Set<XenMutation> = [], defects: Set<FastDefect> = []) throws(FastUnsupported) {
        // The engine first: a configuration that does not fit is refused before the action list is built.
        let values = XenState.entryValues(config: spec.config, flagChoices: spec.entryFlags)
        let engine = try FastXen(config: spec.config, entryValues: values, mutations: mutations, defects: defects)
        let reference = HypervisorModel(spec: spec, mutations: mutations)
        var ops: [FastOp] = []
        for (i, a) in reference.actionList.enumerated() {
            guard let op = engine.compile(a, index: i) else {
                throw FastUnsupported(reason: "action \(a) cannot be compiled for the fast engine")
            }
            ops.append(op)
        }
        self.spec = spec
        self.mutations = mutations
        self.engine = engine
        self.xenActions = reference.actionList
        self.ops = ops
        self.mergesStaleTypes = reference.mergesStaleTypes
        var normal: [XenAction: Int] = [:]
        var aliases = [Int?](repeating: nil, count: ops.count)
        for (i, a) in reference.actionList.enumerated() {
            guard case .hypercall(let vcpu, .mmuUpdate(let rs)) = a, rs.count == 1 else { continue }
            switch rs[0] {
            case .normal: normal[a] = i
            case .preserveAD(let ptr, let val) where engine.preserveADActsAsNormal(value: val):
                aliases[i] = normal[.hypercall(vcpu: vcpu, .mmuUpdate([.normal(ptr: ptr, val: val)]))]
            case .preserveAD, .machphys: break
            }
        }
        actionAliases = aliases.contains { $0 != nil } ? aliases : []
        operationIndices = reference.actionList.map(reference.operationIndex)
    }

    public func initialStates() -> [FastXenState] { [engine.initialState] }
    public func actions(in state: FastXenState) -> [FastOp] { ops }
    public func next(_ state: FastXenState, _ action: FastOp) -> FastXenState? { engine.step(state, action) }
    /// The page walks every guest store and update-va-mapping of a state share.
    public func stepContext(_ state: FastXenState) -> FastStepContext { engine.stepContext(state) }
    public func next(_ state: FastXenState, _ action: FastOp, context: FastStepContext) -> FastXenState? {
        engine.step(state, action, context: context)
    }
    public var invariants: [NamedInvariant<FastXenState>] {
        let e = engine
        return spec.checkedInvariants.map { inv in NamedInvariant(inv.rawValue) { e.check(inv, $0) } }
    }
    public func canonical(_ state: FastXenState) -> FastXenState { engine.canonical(state) }
    // Coverage and witnesses (Model's hooks), by the fast engine's own answers
    // (`XenAnswer.perform(_:on:engine:)`); `CoverageAgreementTests` holds them to the spec's.
    public var operationNames: [String] { XenAction.operationNames }
    public func operationIndex(_ op: FastOp) -> Int { operationIndices[Int(op.index)] }
    public var outcomeLabels: [String] { XenAnswer.labels }
    public func outcome(_ state: FastXenState, _ op: FastOp, next: FastXenState?) -> Int {
        let a = xenAction(op)
        if next != nil, case .hypercall = a { return 0 }
        var copy = state
        return XenAnswer.perform(a, on: &copy, engine: engine)?.labelIndex ?? 0
    }
    /// The spec's predicates, judged on the spec state a packed state stands for (unpacked
    /// once per state for all the predicates not met yet).
    public var witnesses: Witnesses<FastXenState> {
        let (e, m) = (engine, mutations)
        return Witnesses(spec.expectReached.compactMap { c in
            if case .state(let n) = c.kind { ReachPredicates.xenWitness(n) } else { nil }
        }, viewing: { e.specState(of: $0, mutations: m) })
    }
    public func reduced(_ state: FastXenState) -> FastXenState {
        mergesStaleTypes ? engine.forgettingStaleTypes(state) : state
    }
    public func fingerprint(_ state: FastXenState, symmetric: Bool) -> UInt64 {
        engine.fingerprint(state, symmetric: symmetric, forgetStaleTypes: mergesStaleTypes)
    }

    public func stateHash(_ state: FastXenState) -> UInt64 { engine.rawHash(state) }

    /// The spec action an op stands for.
    public func xenAction(_ op: FastOp) -> XenAction { xenActions[Int(op.index)] }
    /// The spec state a packed state stands for.
    public func specState(_ s: FastXenState) -> XenState { engine.specState(of: s, mutations: mutations) }
}

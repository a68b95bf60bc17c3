/// A transition system the checkers can explore, knowing nothing about MMUs
/// (as Stateright's `Model`): initial states, the actions enabled in a state,
/// the next state, and named invariants. That is all a model must say; what the
/// explorer can use to go faster is in `ModelHooks`, whose every requirement has a
/// default.
public protocol Model: ModelHooks, Sendable {
    // The same types as `ModelHooks`' (no new constraint). Restated because Swift infers an
    // associated type only from the requirements of a protocol that declares it, and a
    // model may leave `Action` to be inferred from `actions(in:)` (a test model does).
    associatedtype State
    associatedtype Action

    /// Every initial state, in a fixed order.
    func initialStates() -> [State]
    /// The actions to try in `state`, in a fixed order (determinism, and trace
    /// reconstruction by action index).
    func actions(in state: State) -> [Action]
    /// The state after `action`, or nil when the action does not apply. Must be a function
    /// of `state` and `action`: traces are rebuilt by replaying it.
    func next(_ state: State, _ action: Action) -> State?
    /// The invariants, by stable kebab-case name.
    var invariants: [NamedInvariant<State>] { get }
}

/// The explorer's speed hooks: ways a model can make exploring cheaper without changing
/// what is explored. Every one has a default that is right for any model, so a new model
/// implements `Model`'s four requirements and nothing here.
///
/// They are protocol requirements, not extension-only methods, so that a model's own
/// version is the one the generic explorer calls (statically, once specialised); an
/// extension-only method would be chosen at compile time and ignore the model's.
/// `Model` refines this protocol: adopt `Model`, not this one (the default of
/// `next(_:_:context:)` is `Model.next(_:_:)`).
public protocol ModelHooks {
    associatedtype State: Hashable & Sendable
    associatedtype Action: Hashable & Sendable

    /// What `next` can work out once per state and share between its actions (the
    /// explorer computes it before trying a state's actions). `Void` by default.
    associatedtype StepContext = Void
    func stepContext(_ state: State) -> StepContext
    /// `next(state, action)`, given `stepContext(state)`: must return the same state (traces
    /// are rebuilt with `next(_:_:)`, and a difference shows as a trace that cannot be rebuilt).
    func next(_ state: State, _ action: Action, context: StepContext) -> State?
    /// The representative of `state`'s symmetry class (identity when the model
    /// has no symmetry). Must map every member of a class to the same state.
    func canonical(_ state: State) -> State
    /// The representative of `state` under the model's other sound reductions (states
    /// that behave alike for every action and every invariant), applied before
    /// `canonical`. Identity when the model has none.
    func reduced(_ state: State) -> State
    /// The 64-bit key the visited set stores for `state` (of its canonical form when
    /// `symmetric`). Equal states must give equal keys. The default hashes with Swift's
    /// `Hasher`; a model with a packed state supplies a cheaper one.
    func fingerprint(_ state: State, symmetric: Bool) -> UInt64
    /// A hash of `state` as it is (no reduction, no symmetry), well mixed in its low bits:
    /// the explorer uses it to drop a state's repeated successors before fingerprinting
    /// them. The default is Swift's `Hasher`; a packed state supplies a cheaper one.
    func stateHash(_ state: State) -> UInt64
    /// `actionAliases[i] = j` (with `j < i`): action `i` of `actions(in:)` leads, in every
    /// state, exactly where action `j` does (both disabled, or both to the same state), so
    /// the explorer counts action `i`'s transition from `j`'s result instead of computing
    /// it. Only for models whose `actions(in:)` is the same list in every state. Empty (the
    /// default): no aliases.
    var actionAliases: [Int?] { get }
    /// Coverage (`ExplorerOptions.coverage`): the model's operations, in report order. The
    /// default is one operation, "action".
    var operationNames: [String] { get }
    /// Coverage: the operation `action` belongs to, an index into `operationNames`.
    func operationIndex(_ action: Action) -> Int
    /// Coverage: what an offered action can come to, index 0 "ok" (the default: "ok" and
    /// "not-applicable").
    var outcomeLabels: [String] { get }
    /// Coverage: what `action` came to in `state` (an index into `outcomeLabels`); `next` is
    /// `next(state, action)`. The default: 0 ("ok") for a transition, else 1.
    func outcome(_ state: State, _ action: Action, next: State?) -> Int
    /// Witness predicates (`expect-reached:` state conditions): the explorer records, for
    /// each, the depth of the first reached state that satisfies it. Empty by default.
    var witnesses: Witnesses<State> { get }
}

// A model without a step context: `StepContext` is `Void` (the associated type's default),
// and these two witness the context requirements. The second is on `Model`, not
// `ModelHooks`, because it forwards to `Model.next(_:_:)`; a model conforming to `Model`
// finds it all the same. Both apply only when `StepContext == Void`, so a model that
// declares its own context must implement both requirements.
extension ModelHooks where StepContext == Void {
    public func stepContext(_ state: State) {}
}

extension Model where StepContext == Void {
    public func next(_ state: State, _ action: Action, context: Void) -> State? { next(state, action) }
}

extension ModelHooks {
    public func canonical(_ state: State) -> State { state }
    public func reduced(_ state: State) -> State { state }
    /// The state the visited set stands for: reduced, then canonical under symmetry.
    /// A helper built on the hooks, not a hook itself.
    public func key(_ state: State, symmetric: Bool) -> State {
        symmetric ? canonical(reduced(state)) : reduced(state)
    }
    public func fingerprint(_ state: State, symmetric: Bool) -> UInt64 {
        UInt64(bitPattern: Int64(key(state, symmetric: symmetric).hashValue))
    }
    public func stateHash(_ state: State) -> UInt64 { UInt64(bitPattern: Int64(state.hashValue)) }
    public var actionAliases: [Int?] { [] }
    public var operationNames: [String] { ["action"] }
    public func operationIndex(_ action: Action) -> Int { 0 }
    public var outcomeLabels: [String] { ["ok", "not-applicable"] }
    public func outcome(_ state: State, _ action: Action, next: State?) -> Int { next == nil ? 1 : 0 }
    public var witnesses: Witnesses<State> { Witnesses([]) }
}

/// One named predicate over states. The check returns nil when it holds, else
/// a sentence naming the conjunct that broke.
public struct NamedInvariant<State>: Sendable {
    public let name: String
    public let check: @Sendable (State) -> String?
    public init(_ name: String, _ check: @escaping @Sendable (State) -> String?) {
        self.name = name
        self.check = check
    }
}

/// One named condition a run is expected to reach in some state (`expect-reached:`), with
/// the sentence that says what it means.
public struct NamedPredicate<State>: Sendable {
    public let name: String
    public let holds: @Sendable (State) -> Bool
    public init(_ name: String, _ holds: @escaping @Sendable (State) -> Bool) {
        self.name = name
        self.holds = holds
    }
}

/// A model's witness predicates, judged together: a model whose predicates read another view
/// of its state (the fast engine's, the spec state a packed state stands for) builds that
/// view once per state for all of them, not once per predicate.
public struct Witnesses<State>: Sendable {
    /// The predicates' names, in the spec's order.
    public let names: [String]
    /// The indices among `unmet` whose predicate holds in the state.
    public let holding: @Sendable (State, _ unmet: [Int]) -> [Int]

    /// Predicates over `View`, judged on `view(state)`, computed once per state.
    public init<View>(_ predicates: [NamedPredicate<View>], viewing view: @escaping @Sendable (State) -> View) {
        names = predicates.map(\.name)
        holding = { state, unmet in
            let v = view(state)
            return unmet.filter { predicates[$0].holds(v) }
        }
    }

    /// Predicates over the model's own states.
    public init(_ predicates: [NamedPredicate<State>]) { self.init(predicates, viewing: { $0 }) }
}

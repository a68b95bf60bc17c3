/// A transition system the checkers can explore, knowing nothing about MMUs
/// (as Stateright's `Model`): initial states, the actions enabled in a state,
/// the next state, and named invariants.
public protocol Model {
    associatedtype State: Hashable
    associatedtype Action: Hashable

    /// Every initial state.
    func initialStates() -> [State]
    /// The actions to try in `state`, in a fixed order (determinism).
    func actions(in state: State) -> [Action]
    /// The state after `action`, or nil when the action does not apply.
    func next(_ state: State, _ action: Action) -> State?
    /// The invariants, by stable kebab-case name. A check returns nil when it
    /// holds, else a sentence naming the conjunct that broke.
    var invariants: [NamedInvariant<State>] { get }
}

/// One named predicate over states.
public struct NamedInvariant<State> {
    public let name: String
    public let check: (State) -> String?
    public init(_ name: String, _ check: @escaping (State) -> String?) {
        self.name = name
        self.check = check
    }
}

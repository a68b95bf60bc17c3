/// A path rebuilt from the trace links: the explorer keeps, for each state, only its
/// parent's index and the index of the action that reached it (`TraceLinks`), so a trace is
/// rebuilt by replaying those actions from the initial state with `Model.next(_:_:)`.
///
/// The replay reaches the very state that broke the invariant whenever the model's
/// `actions(in:)` and `next` are functions of the state (and `next(_:_:context:)` agrees
/// with `next(_:_:)`): every link was made from the state the explorer actually held, not
/// from a fingerprint, so a fingerprint collision cannot mislead it (a collision only hides
/// a state). A model that breaks that contract gets a diagnostic, and the steps rebuilt so
/// far, instead of a crash or a wrong trace (as Stateright's `Path` reconstruction reports
/// a step it cannot find).
struct TraceRebuild<M: Model> {
    let initial: M.State
    /// The steps replayed, in order (all of them unless `error` is set).
    var steps: [(action: M.Action, state: M.State)]
    /// nil when the replay reached the state; otherwise where and why it stopped.
    var error: String?
}

extension Explorer {
    /// Rebuilds the path to the state of index `index`, which the explorer holds as `target`.
    /// `roots`: the initial states, in discovery order (a root's index is its place there).
    func rebuildTrace(to index: UInt32, reaching target: M.State, links: TraceLinks, roots: [M.State]) -> TraceRebuild<M> {
        var path: [Int] = []
        var i = index
        while true {
            let l = links.link(Int(i))
            if l.parent == UInt32.max { break }
            path.append(l.action)
            i = l.parent
        }
        path.reverse()
        let root = roots[Int(i)]
        var trace = TraceRebuild<M>(initial: root, steps: [], error: nil)
        trace.steps.reserveCapacity(path.count)
        let contract = "the model's actions(in:) or next(_:_:) is not a function of the state, "
            + "or next(_:_:context:) disagrees with next(_:_:)"
        var s = root
        for (k, a) in path.enumerated() {
            let actions = model.actions(in: s)
            guard a < actions.count else {
                trace.error = "cannot rebuild the trace: at step \(k + 1) of \(path.count), the recorded action index \(a) "
                    + "is out of range (the state offers \(actions.count) actions): \(contract)"
                return trace
            }
            guard let t = model.next(s, actions[a]) else {
                trace.error = "cannot rebuild the trace: at step \(k + 1) of \(path.count), action \(a) of \(actions.count) "
                    + "(\(actions[a])) does not apply on replay, though it did during the exploration: \(contract)"
                return trace
            }
            s = t
            trace.steps.append((actions[a], t))
        }
        if s != target {
            trace.error = "cannot rebuild the trace: its \(path.count) steps replay to another state than the one "
                + "that broke the invariant: \(contract)"
        }
        return trace
    }
}

/// Expanding one state: its actions, its successors, and which of them are candidates for
/// the visited set. Runs on the worker threads; the run's bookkeeping is in `ExplorerRun.swift`.
extension Explorer {
    func fingerprint(_ s: M.State) -> UInt64 {
        model.fingerprint(s, symmetric: options.symmetry)
    }

    /// One worker's share of a batch, reused from batch to batch so that expanding a state
    /// allocates nothing: the candidates of the states it expanded (the successors that are
    /// neither the state itself, nor an earlier successor of it, nor known to be visited), in
    /// order. With one thread, the one "worker" is the merge thread.
    struct WorkerOutput {
        var candidates: [(action: Int32, op: Int32, state: M.State, fp: UInt64)] = []
        /// [j]: where the j-th state's candidates end, and how many transitions it has.
        var ends: [Int] = []
        var transitions: [Int] = []
        var filter = SuccessorFilter<M.State>()
        /// [i]: action i of the state being expanded is enabled (kept for `actionAliases`).
        var enabled: [Bool] = []
        /// With `coverage`: one block of counts per expanded state (`Coverage.add(block:)`).
        var coverage: [Int32] = []

        mutating func reset() {
            candidates.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            transitions.removeAll(keepingCapacity: true)
            coverage.removeAll(keepingCapacity: true)
        }
    }

    /// A batch of the current level, expanded and waiting for its merge.
    struct PendingBatch: @unchecked Sendable {
        /// Where the batch starts in the frontier, states per work item, and items.
        let position: Int, perItem: Int, items: Int
        /// The batch's outputs, one per item.
        let outputs: UnsafeMutablePointer<WorkerOutput>
        /// Candidates of every item: at most this many states are new.
        func candidates() -> Int { (0..<items).reduce(0) { $0 + outputs[$1].candidates.count } }
    }

    /// Expands `s` into `out`, in three passes so that memory is read ahead of use:
    /// 1. every action: a transition unless disabled; a candidate unless it leads back to
    ///    `s` or (without the cache) repeats an earlier successor of `s`; an alias
    ///    (`Model.actionAliases`) is counted from the action it aliases, not computed;
    /// 2. (with symmetry) candidates in the seen-successor cache, prefetched in pass 1, are
    ///    visited, repeats of an earlier successor of `s` included: dropped without their
    ///    canonical fingerprint; the others are fingerprinted (their visited-set slot
    ///    prefetched) and cached;
    /// 3. candidates in `visited` are dropped.
    /// Invariants are checked by the merge, on new states only (about half the candidates
    /// that reach it are found by an earlier one of the same batch).
    /// `visited`: a read-only view of the visited set (when threads run: as it was before the
    /// batch, plus whatever the previous batch's merge, running meanwhile, has inserted).
    /// Whatever is dropped here would be rejected by the merge, in the same order, so
    /// counts, parent links and traces do not depend on this filtering.
    func expand(_ s: M.State, visited: UnsafeBufferPointer<UInt64>?,
                        cache: SeenSuccessorCache, tag: SeenSuccessorCache.Tag, into out: inout WorkerOutput) {
        var transitions = 0
        let start = out.candidates.count
        let cached = options.symmetry && !options.fullStates
        if !cached { out.filter.reset() }
        let aliased = !aliases.isEmpty
        if aliased { out.enabled.removeAll(keepingCapacity: true) }
        let context = model.stepContext(s)
        let counting = options.coverage
        var block = 0
        if counting {
            block = out.coverage.count
            out.coverage.append(contentsOf: repeatElement(0, count: coverageShape.blockSize))
        }
        for (i, a) in model.actions(in: s).enumerated() {
            if aliased {
                // An alias of an earlier action: the same successor, already handled.
                if i < aliases.count, let j = aliases[i] {
                    let on = out.enabled[j]
                    out.enabled.append(on)
                    if on { transitions += 1 }
                    if counting { count(s, a, next: on ? model.next(s, a, context: context) : nil, into: &out.coverage, at: block) }
                    continue
                }
            }
            let next = model.next(s, a, context: context)
            if aliased { out.enabled.append(next != nil) }
            var op: Int32 = 0
            if counting { op = count(s, a, next: next, into: &out.coverage, at: block) }
            guard let t = next else { continue }
            transitions += 1
            if t == s { continue }   // back to itself: visited already
            let hash = model.stateHash(t)
            // With the seen-successor cache, a repeat hits its first occurrence's entry in pass 2.
            if !cached && out.filter.isRepeat(t, hash: hash) { continue }
            if cached { cache.prefetch(hash) }
            out.candidates.append((Int32(i), op, t, hash))   // `fp` holds the state hash until pass 2
        }
        var fingerprinted = start
        for c in start..<out.candidates.count {
            let (action, op, t, hash) = out.candidates[c]
            if cached {
                if cache.contains(hash, tag) { continue }
                cache.insert(hash, tag)   // its fingerprint is in the visited set once this batch is merged
            }
            let fp = options.fullStates ? 0 : fingerprint(t)
            if let visited { FingerprintTable.prefetch(fp, in: visited) }
            out.candidates[fingerprinted] = (action, op, t, fp)
            fingerprinted += 1
        }
        var kept = start
        for c in start..<fingerprinted {
            let cand = out.candidates[c]
            if let visited, FingerprintTable.contains(cand.fp, in: visited) { continue }
            out.candidates[kept] = cand
            kept += 1
        }
        out.candidates.removeLast(out.candidates.count - kept)
        out.ends.append(out.candidates.count)
        out.transitions.append(transitions)
    }

    /// Coverage: records what offered action `a` came to in `s` in the state's block at
    /// `block`; returns its operation.
    @inline(never)
    func count(_ s: M.State, _ a: M.Action, next: M.State?, into counts: inout [Int32], at block: Int) -> Int32 {
        let op = model.operationIndex(a)
        let stride = coverageShape.stride, outcomes = coverageShape.outcomes.count
        let base = block + op * stride
        counts[base + model.outcome(s, a, next: next)] += 1
        if next != nil {
            counts[base + outcomes] = 1
            counts[base + outcomes + 1] += 1
        }
        return Int32(op)
    }
}

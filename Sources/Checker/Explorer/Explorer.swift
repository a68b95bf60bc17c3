import CSupport
import Foundation

/// One broken invariant and a shortest path to it.
public struct Violation<M: Model>: Sendable {
    public let invariant: String
    /// The invariant's own sentence: which conjunct broke, where.
    public let message: String
    /// The initial state the path starts from.
    public let initial: M.State
    /// The actions from `initial`, each with the state it leads to.
    public let steps: [(action: M.Action, state: M.State)]
    public var depth: Int { steps.count }
}

/// Set from a signal handler (Ctrl-C) to stop a run early; the run then
/// reports "interrupted" with what it reached.
public enum ExplorerInterrupt {
    nonisolated(unsafe) public static let flag: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()
}

/// The result of a run.
public struct ExplorationResult<M: Model>: Sendable {
    public let stats: ExplorerStats
    /// nil when every reachable state (within no bound) was checked.
    public let incomplete: IncompleteReason?
    public let violations: [Violation<M>]
    public var complete: Bool { incomplete == nil }
}

/// Breadth-first explorer over any `Model`: the first counterexample is a
/// shortest one. States are stored as 64-bit fingerprints of their canonical
/// form (or in full), each with a link to its parent and the index of the
/// action that reached it, so traces are rebuilt by replaying actions.
///
/// Determinism: each BFS level is expanded in order (in parallel chunks when
/// `threads > 1`, merged in order), so counts and traces are the same on every
/// run and for every thread count.
public struct Explorer<M: Model>: Sendable {
    public let model: M
    public let options: ExplorerOptions

    /// `model.actionAliases`, read once.
    private let aliases: [Int?]

    public init(model: M, options: ExplorerOptions = ExplorerOptions()) {
        self.model = model
        self.options = options
        self.aliases = model.actionAliases
    }


    private func fingerprint(_ s: M.State) -> UInt64 {
        model.fingerprint(s, symmetric: options.symmetry)
    }

    /// One worker's share of a batch, reused from batch to batch so that expanding a state
    /// allocates nothing: the candidates of the states it expanded (the successors that are
    /// neither the state itself, nor an earlier successor of it, nor known to be visited), in
    /// order. With one thread, the one "worker" is the merge thread.
    private struct WorkerOutput {
        var candidates: [(action: Int, state: M.State, fp: UInt64)] = []
        /// [j]: where the j-th state's candidates end, and how many transitions it has.
        var ends: [Int] = []
        var transitions: [Int] = []
        var filter = SuccessorFilter<M.State>()
        /// [i]: action i of the state being expanded is enabled (kept for `actionAliases`).
        var enabled: [Bool] = []

        mutating func reset() {
            candidates.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            transitions.removeAll(keepingCapacity: true)
        }
    }

    /// A batch of the current level, expanded and waiting for its merge.
    private struct PendingBatch: @unchecked Sendable {
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
    private func expand(_ s: M.State, visited: UnsafeBufferPointer<UInt64>?,
                        cache: SeenSuccessorCache, tag: SeenSuccessorCache.Tag, into out: inout WorkerOutput) {
        var transitions = 0
        let start = out.candidates.count
        let cached = options.symmetry && !options.fullStates
        if !cached { out.filter.reset() }
        let aliased = !aliases.isEmpty
        if aliased { out.enabled.removeAll(keepingCapacity: true) }
        let context = model.stepContext(s)
        for (i, a) in model.actions(in: s).enumerated() {
            if aliased {
                // An alias of an earlier action: the same successor, already handled.
                if i < aliases.count, let j = aliases[i] {
                    let on = out.enabled[j]
                    out.enabled.append(on)
                    if on { transitions += 1 }
                    continue
                }
            }
            let next = model.next(s, a, context: context)
            if aliased { out.enabled.append(next != nil) }
            guard let t = next else { continue }
            transitions += 1
            if t == s { continue }   // back to itself: visited already
            let hash = model.stateHash(t)
            // With the seen-successor cache, a repeat hits its first occurrence's entry in pass 2.
            if !cached && out.filter.isRepeat(t, hash: hash) { continue }
            if cached { cache.prefetch(hash) }
            out.candidates.append((i, t, hash))   // `fp` holds the state hash until pass 2
        }
        var fingerprinted = start
        for c in start..<out.candidates.count {
            let (action, t, hash) = out.candidates[c]
            if cached {
                if cache.contains(hash, tag) { continue }
                cache.insert(hash, tag)   // its fingerprint is in the visited set once this batch is merged
            }
            let fp = options.fullStates ? 0 : fingerprint(t)
            if let visited { FingerprintTable.prefetch(fp, in: visited) }
            out.candidates[fingerprinted] = (action, t, fp)
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

    /// Explores. `interrupt` is polled between batches (Ctrl-C sets the global one);
    /// the caller clears it before the run.
    public func run(interrupt: UnsafeMutablePointer<Int32> = ExplorerInterrupt.flag,
                    progress: ((ExplorerStats) -> Void)? = nil) -> ExplorationResult<M> {
        let clock = ContinuousClock()
        let start = clock.now
        func elapsed() -> Double {
            (clock.now - start).inSeconds
        }
        let table = FingerprintTable()
        var full: [M.State: UInt32] = [:]
        let links = TraceLinks(inMemory: options.fullStates)
        var roots: [M.State] = []
        var stats = ExplorerStats()
        var violations: [Violation<M>] = []
        /// [k]: invariant k is broken (a trace for it is kept); how many are.
        var broken = [Bool](repeating: false, count: model.invariants.count)
        var brokenCount = 0
        var incomplete: IncompleteReason?
        var lastProgress = 0.0
        let invariants = model.invariants

        /// Records a new state; returns its index, or nil if seen before.
        func discover(_ s: M.State, fp: UInt64, parent: UInt32, action: Int) -> UInt32? {
            let index = UInt32(links.count)
            if options.fullStates {
                let key = model.key(s, symmetric: options.symmetry)
                if full[key] != nil { return nil }
                full[key] = index
            } else if !table.insert(fp) {
                return nil
            }
            links.append(parent: parent, action: action)
            return index
        }

        func trace(to index: UInt32) -> (M.State, [(action: M.Action, state: M.State)]) {
            var path: [Int] = []
            var i = index
            while true {
                let l = links.link(Int(i))
                if l.parent == UInt32.max { break }
                path.append(l.action)
                i = l.parent
            }
            let root = roots[Int(i)]
            var s = root
            var steps: [(action: M.Action, state: M.State)] = []
            for a in path.reversed() {
                let action = model.actions(in: s)[a]
                s = model.next(s, action)!
                steps.append((action, s))
            }
            return (root, steps)
        }

        /// Checks every invariant; returns true when the run must stop.
        func check(_ s: M.State, index: UInt32) -> Bool {
            for (k, inv) in invariants.enumerated() where !broken[k] {
                if let message = inv.check(s) {
                    broken[k] = true
                    brokenCount += 1
                    let (root, steps) = trace(to: index)
                    violations.append(Violation(invariant: inv.name, message: message, initial: root, steps: steps))
                    if !options.keepGoing { return true }
                }
            }
            return options.keepGoing && brokenCount == invariants.count
        }

        /// In-memory bytes of the visited set and the trace links, per distinct state.
        func bytesPerState() -> Double {
            guard links.count > 0 else { return 0 }
            var bytes = links.memoryBytes
            bytes += options.fullStates ? full.capacity * (MemoryLayout<M.State>.stride + 8) : table.bytes
            return Double(bytes) / Double(links.count)
        }

        // Level 0.
        var frontier: [(index: UInt32, state: M.State)] = []
        var stop = false
        for s in model.initialStates() {
            let fp = options.fullStates ? 0 : fingerprint(s)
            guard let idx = discover(s, fp: fp, parent: UInt32.max, action: 0) else { continue }
            roots.append(s)
            frontier.append((idx, s))
            if check(s, index: idx) { stop = true; break }
        }
        // Roots are discovered first and in order, so a root's state index is its place in `roots`.
        stats.distinctStates = links.count
        var deepest = 0

        var depth = 0
        // Work items a batch is cut into when threads run (at most 128: `SeenSuccessorCache.Tag`).
        let maxItems = options.threads > 1 ? min(128, 16 * options.threads) : 1
        // Two sets when threads run: one batch is merged while the next is expanded.
        let outputs = UnsafeMutableBufferPointer<WorkerOutput>.allocate(capacity: options.threads > 1 ? 2 * maxItems : 1)
        for w in 0..<outputs.count { (outputs.baseAddress! + w).initialize(to: WorkerOutput()) }
        defer { outputs.deinitialize(); outputs.deallocate() }
        let cache = SeenSuccessorCache()
        /// The first cache tag of the next batch (each work item of a batch has its own).
        var tagBase = 0
        // Bounds and Ctrl-C are polled after every chunk of states (per thread): up to
        // `maxChunk`, halved (down to 1) whenever a chunk takes more than a quarter of a second
        // (huge action lists), and doubled back when chunks are quick again: a one-off slow
        // chunk (the visited set growing) must not leave the run polling, and the threads
        // idle, for good. With threads, larger chunks make fewer hand-overs.
        let maxChunk = options.threads > 1 ? 128 : 32
        var chunk = maxChunk
        /// A batch expanded by the threads and not merged yet.
        var pending: PendingBatch?
        var next: [(index: UInt32, state: M.State)] = []
        /// Records one successor and checks it if new; true when the run must stop.
        func accept(_ action: Int, _ t: M.State, _ fp: UInt64, _ parent: UInt32) -> Bool {
            guard let idx = discover(t, fp: fp, parent: parent, action: action) else { return false }
            next.append((idx, t))
            deepest = depth + 1
            if check(t, index: idx) { return true }
            if let maxStates = options.maxStates, links.count >= maxStates {
                if incomplete == nil { incomplete = .stateLimit }   // (not after Ctrl-C: see the level's last merge)
                return true
            }
            return false
        }
        /// Merges an expanded batch into the visited set and the next level, in frontier
        /// order; true when the run must stop.
        func merge(_ b: PendingBatch) -> Bool {
            // Every slot asked for first, so that the misses overlap.
            if !options.fullStates {
                for item in 0..<b.items { for c in b.outputs[item].candidates.indices { table.prefetch(b.outputs[item].candidates[c].fp) } }
            }
            for item in 0..<b.items {
                for j in b.outputs[item].ends.indices {
                    let parent = frontier[b.position + item * b.perItem + j].index
                    let first = j == 0 ? 0 : b.outputs[item].ends[j - 1], last = b.outputs[item].ends[j]
                    stats.transitions += b.outputs[item].transitions[j]
                    for c in first..<last {
                        let cand = b.outputs[item].candidates[c]
                        if accept(cand.action, cand.state, cand.fp, parent) { return true }
                    }
                }
            }
            return false
        }
        while !stop && !frontier.isEmpty {
            if let maxDepth = options.maxDepth, depth >= maxDepth {
                incomplete = .depthLimit
                break
            }
            next = []
            var position = 0
            levelLoop: while position < frontier.count {
                let chunkStart = elapsed()
                let end = min(frontier.count, position + chunk * options.threads)
                if options.symmetry && !options.fullStates { cache.fit(distinctStates: links.count) }
                if options.threads <= 1 {
                    // One thread: each state is expanded against the visited set as it is, and
                    // its candidates merged before the next state.
                    for k in position..<end {
                        let parent = frontier[k].index
                        outputs[0].reset()
                        let view: UnsafeBufferPointer<UInt64>? = options.fullStates ? nil : table.withReadOnlyView { $0 }
                        expand(frontier[k].state, visited: view, cache: cache, tag: SeenSuccessorCache.Tag(first: 0, worker: 0, workers: 1),
                               into: &outputs[0])
                        stats.transitions += outputs[0].transitions[0]
                        for c in outputs[0].candidates.indices {
                            let cand = outputs[0].candidates[c]
                            if accept(cand.action, cand.state, cand.fp, parent) { stop = true; break levelLoop }
                        }
                    }
                } else {
                    // Parallel phase: the batch is cut into work items of consecutive states,
                    // which exactly `threads` threads take in turn from a shared counter, each
                    // expanded into its own output (so a slow item does not leave a thread idle).
                    // This thread first merges the previous batch (overlapping the others'
                    // expansion), then takes items too. Merge: items and their states in
                    // frontier order, so counts, parent links and traces are those of the
                    // one-thread path.
                    let perItem = max(1, (end - position + maxItems - 1) / maxItems)
                    let items = (end - position + perItem - 1) / perItem
                    // Buffers: the other set from the pending batch's.
                    let set = pending.map { $0.outputs == outputs.baseAddress! ? 1 : 0 } ?? 0
                    let this = PendingBatch(position: position, perItem: perItem, items: items,
                                            outputs: outputs.baseAddress! + set * maxItems)
                    // The merge inserts while the workers read the table: it must not move.
                    if let pending, !options.fullStates { table.reserve(additional: pending.candidates()) }
                    let tableView: UnsafeBufferPointer<UInt64>? = options.fullStates ? nil : table.withReadOnlyView { $0 }
                    let counter = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
                    counter.initialize(to: 0)
                    defer { counter.deallocate() }
                    let group = DispatchGroup()
                    frontier.withUnsafeBufferPointer { states in
                        nonisolated(unsafe) let view = tableView, states = states, next = counter
                        let (from, to, firstTag) = (position, end, tagBase)
                        // Takes items until none is left.
                        let work: @Sendable () -> Void = {
                            while true {
                                let item = Int(mmucheck_fetch_add(next, 1))
                                if item >= items { break }
                                // Moved out to the thread's stack while it runs: the outputs sit side
                                // by side, and writing them in place would bounce one cache line
                                // between the cores at every successor (false sharing).
                                let slot = this.outputs + item
                                var mine = slot.move()
                                mine.reset()
                                let tag = SeenSuccessorCache.Tag(first: firstTag, worker: item, workers: items)
                                for k in (from + item * perItem)..<min(to, from + (item + 1) * perItem) {
                                    expand(states[k].state, visited: view, cache: cache, tag: tag, into: &mine)
                                }
                                slot.initialize(to: mine)
                            }
                        }
                        for _ in 1..<min(options.threads, items) { DispatchQueue.global().async(group: group, execute: work) }
                        if let pending { stop = merge(pending) }
                        // Stopped: the batch is not needed; the other threads take no more items.
                        if stop { _ = mmucheck_fetch_add(next, UInt64(items)) } else { work() }
                        group.wait()
                    }
                    tagBase &+= items
                    if stop { pending = nil; break levelLoop }
                    pending = this
                }
                position = end
                let now = elapsed()
                if now - chunkStart > 0.25 { chunk = max(1, chunk / 2) } else if now - chunkStart < 0.05 { chunk = min(maxChunk, chunk * 2) }
                stats.distinctStates = links.count
                stats.depth = deepest
                stats.queue = frontier.count - position + next.count
                stats.seconds = now
                if interrupt.pointee != 0 { incomplete = .interrupted; stop = true; break }
                if let maxSeconds = options.maxSeconds, now >= maxSeconds { incomplete = .timeLimit; stop = true; break }
                if let maxMemory = options.maxMemoryBytes, residentBytes() >= maxMemory {
                    incomplete = .memoryLimit; stop = true; break
                }
                if let progress, now - lastProgress >= options.progressInterval {
                    lastProgress = now
                    stats.bytesPerState = bytesPerState()
                    progress(stats)
                }
            }
            // The level's last batch (or, after Ctrl-C or a time or memory limit, the batch
            // already expanded): merged before the level ends.
            if let p = pending {
                pending = nil
                if merge(p) { stop = true }
            }
            frontier = next
            depth += 1
        }
        stats.distinctStates = links.count
        stats.depth = deepest
        stats.queue = incomplete == nil ? 0 : frontier.count
        stats.seconds = elapsed()
        stats.bytesPerState = bytesPerState()
        stats.traceBytesOnDisk = links.onDisk ? links.count * TraceLinks.recordSize : 0
        let n = Double(stats.distinctStates)
        // TLC's estimate for the fingerprints, plus (with the seen-successor cache) one chance in
        // 2^64 per transition, a bound on its lookups that does not depend on timing.
        let lookups = options.symmetry ? Double(stats.transitions) : 0
        stats.collisionProbability = options.fullStates ? 0
            : n * n / 36_893_488_147_419_103_232.0 + lookups / 18_446_744_073_709_551_616.0  // 2^65, 2^64
        // A violation found with stop-at-first leaves the rest unexplored, but the verdict is final.
        return ExplorationResult(stats: stats, incomplete: violations.isEmpty || options.keepGoing ? incomplete : nil,
                                 violations: violations)
    }

}

/// Resident memory of this process in bytes (Linux `/proc/self/statm`), 0 if unknown.
func residentBytes() -> UInt64 {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = UInt64(fields[1]) else { return 0 }
    return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
}

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

    public init(model: M, options: ExplorerOptions = ExplorerOptions()) {
        self.model = model
        self.options = options
    }


    private func fingerprint(_ s: M.State) -> UInt64 {
        model.fingerprint(s, symmetric: options.symmetry)
    }

    /// Successors of one state, computed off the merge path.
    private struct Expansion {
        var successors: [(actionIndex: Int, state: M.State, fp: UInt64)] = []
        var transitions = 0
    }

    /// `visited`: a read-only view of the visited set as it was before this batch; a
    /// successor already in it is dropped here, on the worker, instead of on the merge
    /// thread (it would be rejected there anyway, so the result is the same).
    private func expand(_ s: M.State, visited: UnsafeBufferPointer<UInt64>?,
                        filter: inout SuccessorFilter<M.State>) -> Expansion {
        var e = Expansion()
        filter.reset()
        for (i, a) in model.actions(in: s).enumerated() {
            guard let t = model.next(s, a) else { continue }
            e.transitions += 1
            if t == s { continue }   // back to itself: visited already
            if filter.isRepeat(t, hash: model.stateHash(t)) { continue }
            let fp = options.fullStates ? 0 : fingerprint(t)
            if let visited, FingerprintTable.contains(fp, in: visited) { continue }
            e.successors.append((i, t, fp))
        }
        return e
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
        var table = FingerprintTable()
        var full: [M.State: UInt32] = [:]
        let links = TraceLinks(inMemory: options.fullStates)
        var roots: [M.State] = []
        var stats = ExplorerStats()
        var violations: [Violation<M>] = []
        var broken = Set<String>()
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
            for inv in invariants where !broken.contains(inv.name) {
                if let message = inv.check(s) {
                    broken.insert(inv.name)
                    let (root, steps) = trace(to: index)
                    violations.append(Violation(invariant: inv.name, message: message, initial: root, steps: steps))
                    if !options.keepGoing { return true }
                }
            }
            return options.keepGoing && broken.count == invariants.count
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
        var scratch: [(actionIndex: Int, state: M.State, fp: UInt64)] = []
        var sink: UInt64 = 0
        var filter = SuccessorFilter<M.State>()
        // Bounds and Ctrl-C are polled after every chunk of states: 32, halved (down to 1)
        // whenever a chunk takes more than a quarter of a second (huge action lists), and
        // doubled back (up to 32) when chunks are quick again: a one-off slow chunk (the
        // visited set growing) must not leave the run polling, and the threads idle, for good.
        var chunk = 32
        while !stop && !frontier.isEmpty {
            if let maxDepth = options.maxDepth, depth >= maxDepth {
                incomplete = .depthLimit
                break
            }
            var next: [(index: UInt32, state: M.State)] = []
            var position = 0
            levelLoop: while position < frontier.count {
                let chunkStart = elapsed()
                let end = min(frontier.count, position + chunk * options.threads)
                /// Records one successor; true when the run must stop.
                func accept(_ action: Int, _ t: M.State, _ fp: UInt64, _ parent: UInt32) -> Bool {
                    guard let idx = discover(t, fp: fp, parent: parent, action: action) else { return false }
                    next.append((idx, t))
                    deepest = depth + 1
                    if check(t, index: idx) { return true }
                    if let maxStates = options.maxStates, links.count >= maxStates {
                        incomplete = .stateLimit; return true
                    }
                    return false
                }
                if options.threads <= 1 {
                    // One thread: a state's successors are gathered in a reused buffer, their
                    // visited-set slots read in one go (independent cache misses overlap), then
                    // inserted in order. Every transition of the state is counted, as the
                    // threaded path does.
                    for k in position..<end {
                        let (parent, s) = frontier[k]
                        scratch.removeAll(keepingCapacity: true)
                        filter.reset()
                        for (i, a) in model.actions(in: s).enumerated() {
                            guard let t = model.next(s, a) else { continue }
                            stats.transitions += 1
                            // A step back to the state itself, or to one of its earlier successors,
                            // is a transition to a state already fingerprinted.
                            if t == s || filter.isRepeat(t, hash: model.stateHash(t)) { continue }
                            let fp = options.fullStates ? 0 : fingerprint(t)
                            sink &+= table.touch(fp)
                            scratch.append((i, t, fp))
                        }
                        for succ in scratch where accept(succ.actionIndex, succ.state, succ.fp, parent) {
                            stop = true; break levelLoop
                        }
                    }
                } else {
                    let batch = frontier[position..<end]
                    let states = Array(batch.map(\.state))
                    let expansions = options.fullStates ? expandBatch(states, visited: nil)
                        : table.withReadOnlyView { expandBatch(states, visited: $0) }
                    for (k, e) in expansions.enumerated() {
                        let parent = batch[batch.startIndex + k].index
                        stats.transitions += e.transitions
                        if !options.fullStates { for succ in e.successors { sink &+= table.touch(succ.fp) } }
                        for succ in e.successors where accept(succ.actionIndex, succ.state, succ.fp, parent) {
                            stop = true; break levelLoop
                        }
                    }
                }
                position = end
                let now = elapsed()
                if now - chunkStart > 0.25 { chunk = max(1, chunk / 2) } else if now - chunkStart < 0.05 { chunk = min(32, chunk * 2) }
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
            frontier = next
            depth += 1
        }
        withExtendedLifetime(sink) {}
        stats.distinctStates = links.count
        stats.depth = deepest
        stats.queue = incomplete == nil ? 0 : frontier.count
        stats.seconds = elapsed()
        stats.bytesPerState = bytesPerState()
        stats.traceBytesOnDisk = links.onDisk ? links.count * TraceLinks.recordSize : 0
        let n = Double(stats.distinctStates)
        stats.collisionProbability = options.fullStates ? 0 : n * n / 36_893_488_147_419_103_232.0  // 2^65
        // A violation found with stop-at-first leaves the rest unexplored, but the verdict is final.
        return ExplorationResult(stats: stats, incomplete: violations.isEmpty || options.keepGoing ? incomplete : nil,
                                 violations: violations)
    }

    private func expandBatch(_ states: [M.State], visited: UnsafeBufferPointer<UInt64>?) -> [Expansion] {
        if options.threads <= 1 || states.count < 2 * options.threads {
            var filter = SuccessorFilter<M.State>()
            return states.map { expand($0, visited: visited, filter: &filter) }
        }
        let n = states.count
        let results = UnsafeMutableBufferPointer<Expansion>.allocate(capacity: n)
        results.initialize(repeating: Expansion())
        defer { results.deinitialize(); results.deallocate() }
        let workers = options.threads
        nonisolated(unsafe) let out = results
        nonisolated(unsafe) let view = visited   // read-only while the workers run
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var i = w
            var filter = SuccessorFilter<M.State>()
            while i < n {
                out[i] = expand(states[i], visited: view, filter: &filter)
                i += workers
            }
        }
        return Array(results)
    }
}

/// Resident memory of this process in bytes (Linux `/proc/self/statm`), 0 if unknown.
func residentBytes() -> UInt64 {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = UInt64(fields[1]) else { return 0 }
    return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
}

import CSupport
import Foundation

extension Explorer {
    /// One run's mutable bookkeeping and its steps: the visited set, the trace links, the
    /// frontier and the next level, the counts, the violations, the bounds. `Explorer.run`
    /// drives it: `discoverInitialStates`, `exploreLevel` while `continues`, `finish`.
    ///
    /// A struct with mutating methods (not a class): its fields are reached through `inout
    /// self`, whose exclusive access the compiler checks statically, so the per-successor
    /// path (`accept`, `discover`, `check`) pays no runtime exclusivity checks.
    ///
    /// Determinism: successors reach `accept` in frontier order, each state's in action order,
    /// whatever the thread count, so state indices, parent links, counts and traces are those
    /// of a one-thread run.
    struct Run {
        let explorer: Explorer<M>
        let options: ExplorerOptions
        let interrupt: UnsafeMutablePointer<Int32>
        let progress: ((ExplorerStats) -> Void)?
        let clock: ContinuousClock
        let start: ContinuousClock.Instant
        let invariants: [NamedInvariant<M.State>]
        /// `model.witnesses`, and the indices of those not met yet (checked on new states until
        /// none is left).
        let witnesses: Witnesses<M.State>
        var unmetWitnesses: [Int]
        /// `options.memoryCeiling`, read once (the default asks the system for its memory).
        let memoryCeiling: UInt64

        /// The visited set: fingerprints, or (`fullStates`) each state's key with its index.
        let table = FingerprintTable()
        var full: [M.State: UInt32] = [:]
        let links: TraceLinks
        /// The initial states, in discovery order: a root's state index is its place here.
        var roots: [M.State] = []
        var stats = ExplorerStats()
        var violations: [Violation<M>] = []
        /// [k]: invariant k is broken (a trace for it is kept); how many are.
        var broken: [Bool]
        var brokenCount = 0
        var incomplete: IncompleteReason?
        /// The run must end: a violation (with `keepGoing`: every invariant broken), a bound, Ctrl-C.
        var stop = false
        var lastProgress = 0.0

        /// The level being expanded, with each state's index, and the one it discovers.
        var frontier: [(index: UInt32, state: M.State)] = []
        var nextLevel: [(index: UInt32, state: M.State)] = []
        /// The frontier's depth; the deepest level a state was discovered at.
        var depth = 0
        var deepest = 0

        /// Work items a batch is cut into when threads run (at most 128: `SeenSuccessorCache.Tag`).
        let maxItems: Int
        /// Two sets when threads run: one batch is merged while the next is expanded.
        /// Freed by `deallocate`.
        let outputs: UnsafeMutableBufferPointer<WorkerOutput>
        let cache = SeenSuccessorCache()
        /// The first cache tag of the next batch (each work item of a batch has its own).
        var tagBase = 0
        // Bounds and Ctrl-C are polled after every chunk of states (per thread): up to
        // `maxChunk`, halved (down to 1) whenever a chunk takes more than a quarter of a second
        // (huge action lists), and doubled back when chunks are quick again: a one-off slow
        // chunk (the visited set growing) must not leave the run polling, and the threads
        // idle, for good. With threads, larger chunks make fewer hand-overs.
        let maxChunk: Int
        var chunk: Int
        /// A batch expanded by the threads and not merged yet.
        var pending: PendingBatch?

        init(explorer: Explorer<M>, interrupt: UnsafeMutablePointer<Int32>, progress: ((ExplorerStats) -> Void)?) {
            let clock = ContinuousClock()
            self.clock = clock
            start = clock.now
            self.explorer = explorer
            let options = explorer.options
            self.options = options
            memoryCeiling = options.memoryCeiling
            self.interrupt = interrupt
            self.progress = progress
            links = TraceLinks(inMemory: options.fullStates)
            let invariants = explorer.model.invariants
            self.invariants = invariants
            broken = [Bool](repeating: false, count: invariants.count)
            witnesses = explorer.model.witnesses
            unmetWitnesses = Array(witnesses.names.indices)
            stats.witnesses = witnesses.names.map { Witness(name: $0, depth: nil) }
            if options.coverage { stats.coverage = explorer.coverageShape }
            let maxItems = options.threads > 1 ? min(128, 16 * options.threads) : 1
            self.maxItems = maxItems
            let outputs = UnsafeMutableBufferPointer<WorkerOutput>.allocate(capacity: options.threads > 1 ? 2 * maxItems : 1)
            for w in 0..<outputs.count { (outputs.baseAddress! + w).initialize(to: WorkerOutput()) }
            self.outputs = outputs
            maxChunk = options.threads > 1 ? 128 : 32
            // Start at one state and let quick chunks double it: with a huge action list a
            // first chunk of `maxChunk` states could outlast a time bound many times over
            // before the first poll.
            chunk = 1
        }

        /// Frees the worker outputs (once, after `finish`).
        func deallocate() {
            outputs.deinitialize()
            outputs.deallocate()
        }

        /// Whether another level is to be explored.
        var continues: Bool { !stop && !frontier.isEmpty }

        func elapsed() -> Double {
            (clock.now - start).inSeconds
        }

        /// Records a new state; returns its index, or nil if seen before.
        mutating func discover(_ s: M.State, fp: UInt64, parent: UInt32, action: Int) -> UInt32? {
            let index = UInt32(links.count)
            if options.fullStates {
                let key = explorer.model.key(s, symmetric: options.symmetry)
                if full[key] != nil { return nil }
                full[key] = index
            } else if !table.insert(fp) {
                return nil
            }
            links.append(parent: parent, action: action)
            return index
        }

        /// Checks every invariant not broken yet on `s`, the state of index `index` found at
        /// `depth`, keeping a trace for each that breaks, and the witnesses not met yet;
        /// returns true when the run must stop.
        mutating func check(_ s: M.State, index: UInt32, depth: Int) -> Bool {
            if !unmetWitnesses.isEmpty {
                let met = witnesses.holding(s, unmetWitnesses)
                for k in met { stats.witnesses[k].depth = depth }
                if !met.isEmpty { unmetWitnesses.removeAll { met.contains($0) } }
            }
            for (k, inv) in invariants.enumerated() where !broken[k] {
                if options.coverage { stats.coverage!.addEvaluation(k) }
                if let message = inv.check(s) {
                    broken[k] = true
                    brokenCount += 1
                    let trace = explorer.rebuildTrace(to: index, reaching: s, links: links, roots: roots)
                    violations.append(Violation(invariant: inv.name, message: message, initial: trace.initial,
                                                steps: trace.steps, traceError: trace.error))
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

        /// Level 0: the initial states, in order, each checked when new.
        mutating func discoverInitialStates() {
            for s in explorer.model.initialStates() {
                let fp = options.fullStates ? 0 : explorer.fingerprint(s)
                guard let idx = discover(s, fp: fp, parent: UInt32.max, action: 0) else { continue }
                roots.append(s)
                frontier.append((idx, s))
                if check(s, index: idx, depth: 0) { stop = true; break }
            }
            // Roots are discovered first and in order, so a root's state index is its place in `roots`.
            stats.distinctStates = links.count
        }

        /// Records one successor and checks it if new; true when the run must stop.
        /// `op`: the action's operation (`Model.operationIndex`, counted with `coverage`).
        mutating func accept(_ action: Int32, _ op: Int32, _ t: M.State, _ fp: UInt64, _ parent: UInt32) -> Bool {
            guard let idx = discover(t, fp: fp, parent: parent, action: Int(action)) else { return false }
            nextLevel.append((idx, t))
            deepest = depth + 1
            if options.coverage { stats.coverage!.addNewState(Int(op)) }
            if check(t, index: idx, depth: depth + 1) { return true }
            if let maxStates = options.maxStates, links.count >= maxStates {
                if incomplete == nil { incomplete = .stateLimit }   // (not after Ctrl-C: see the level's last merge)
                return true
            }
            return false
        }

        /// Merges an expanded batch into the visited set and the next level, in frontier
        /// order; true when the run must stop.
        mutating func merge(_ b: PendingBatch) -> Bool {
            // Every slot asked for first, so that the misses overlap.
            if !options.fullStates {
                for item in 0..<b.items { for c in b.outputs[item].candidates.indices { table.prefetch(b.outputs[item].candidates[c].fp) } }
            }
            for item in 0..<b.items {
                for j in b.outputs[item].ends.indices {
                    let parent = frontier[b.position + item * b.perItem + j].index
                    let first = j == 0 ? 0 : b.outputs[item].ends[j - 1], last = b.outputs[item].ends[j]
                    stats.transitions += b.outputs[item].transitions[j]
                    if options.coverage {
                        let size = explorer.coverageShape.blockSize
                        stats.coverage!.add(block: b.outputs[item].coverage[j * size..<(j + 1) * size])
                    }
                    for c in first..<last {
                        let cand = b.outputs[item].candidates[c]
                        if accept(cand.action, cand.op, cand.state, cand.fp, parent) { return true }
                    }
                }
            }
            return false
        }

        /// Expands the frontier's next level into `nextLevel`, chunk by chunk, polling the bounds
        /// after each; sets `stop` when the run must end.
        mutating func exploreLevel() {
            if let maxDepth = options.maxDepth, depth >= maxDepth {
                incomplete = .depthLimit
                stop = true
                return
            }
            nextLevel = []
            var position = 0
            while position < frontier.count {
                let chunkStart = elapsed()
                let end = min(frontier.count, position + chunk * options.threads)
                if options.symmetry && !options.fullStates { cache.fit(distinctStates: links.count) }
                let mustStop = options.threads <= 1
                    ? expandLevelOneThread(from: position, to: end)
                    : expandBatchInParallel(from: position, to: end)
                if mustStop { stop = true; break }
                position = end
                let now = elapsed()
                tuneChunk(took: now - chunkStart)
                if pollBounds(position: position, now: now) { stop = true; break }
            }
            // The level's last batch (or, after Ctrl-C or a time or memory limit, the batch
            // already expanded): merged before the level ends.
            if let p = pending {
                pending = nil
                if merge(p) { stop = true }
            }
            frontier = nextLevel
            depth += 1
        }

        /// One thread: each state of `frontier[position..<end]` is expanded against the visited
        /// set as it is, and its candidates merged before the next state. True when the run
        /// must stop.
        mutating func expandLevelOneThread(from position: Int, to end: Int) -> Bool {
            for k in position..<end {
                let parent = frontier[k].index
                outputs[0].reset()
                let view: UnsafeBufferPointer<UInt64>? = options.fullStates ? nil : table.withReadOnlyView { $0 }
                explorer.expand(frontier[k].state, visited: view, cache: cache, tag: SeenSuccessorCache.Tag(first: 0, worker: 0, workers: 1),
                                into: &outputs[0])
                stats.transitions += outputs[0].transitions[0]
                if options.coverage { stats.coverage!.add(block: outputs[0].coverage[...]) }
                for c in outputs[0].candidates.indices {
                    let cand = outputs[0].candidates[c]
                    if accept(cand.action, cand.op, cand.state, cand.fp, parent) { return true }
                }
            }
            return false
        }

        /// Parallel phase: the batch `frontier[position..<end]` is cut into work items of
        /// consecutive states, which exactly `threads` threads take in turn from a shared
        /// counter, each expanded into its own output (so a slow item does not leave a thread
        /// idle). This thread first merges the previous batch (overlapping the others'
        /// expansion), then takes items too. Merge: items and their states in frontier order,
        /// so counts, parent links and traces are those of the one-thread path. The batch is
        /// left `pending`, merged by the next call or at the level's end. True when the run
        /// must stop (the previous batch's merge said so; this batch is then dropped).
        mutating func expandBatchInParallel(from position: Int, to end: Int) -> Bool {
            let perItem = max(1, (end - position + maxItems - 1) / maxItems)
            let items = (end - position + perItem - 1) / perItem
            // Buffers: the other set from the pending batch's.
            let base = outputs.baseAddress!
            let set = pending.map { $0.outputs == base ? 1 : 0 } ?? 0
            let this = PendingBatch(position: position, perItem: perItem, items: items,
                                    outputs: base + set * maxItems)
            // The merge inserts while the workers read the table: it must not move.
            if let pending, !options.fullStates { table.reserve(additional: pending.candidates()) }
            let tableView: UnsafeBufferPointer<UInt64>? = options.fullStates ? nil : table.withReadOnlyView { $0 }
            let counter = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
            counter.initialize(to: 0)
            defer { counter.deallocate() }
            let group = DispatchGroup()
            // What the workers use, out of `self`: the merge below mutates `self` meanwhile (and
            // an escaping closure cannot capture it). `level` is the frontier's buffer, not a
            // copy: reading `self.frontier` across the merge would overlap its access to `self`.
            let explorer = self.explorer, cache = self.cache, firstTag = tagBase
            let level = frontier
            var stopped = false
            level.withUnsafeBufferPointer { states in
                nonisolated(unsafe) let view = tableView, states = states, nextItem = counter
                let (from, to) = (position, end)
                // Takes items until none is left.
                let work: @Sendable () -> Void = {
                    while true {
                        let item = Int(mmucheck_fetch_add(nextItem, 1))
                        if item >= items { break }
                        // Moved out to the thread's stack while it runs: the outputs sit side
                        // by side, and writing them in place would bounce one cache line
                        // between the cores at every successor (false sharing).
                        let slot = this.outputs + item
                        var mine = slot.move()
                        mine.reset()
                        let tag = SeenSuccessorCache.Tag(first: firstTag, worker: item, workers: items)
                        for k in (from + item * perItem)..<min(to, from + (item + 1) * perItem) {
                            explorer.expand(states[k].state, visited: view, cache: cache, tag: tag, into: &mine)
                        }
                        slot.initialize(to: mine)
                    }
                }
                for _ in 1..<min(options.threads, items) { DispatchQueue.global().async(group: group, execute: work) }
                if let pending { stopped = merge(pending) }
                // Stopped: the batch is not needed; the other threads take no more items.
                if stopped { _ = mmucheck_fetch_add(nextItem, UInt64(items)) } else { work() }
                group.wait()
            }
            tagBase &+= items
            if stopped { pending = nil; return true }
            pending = this
            return false
        }

        /// Halves the chunk after a slow one, doubles it back after a quick one (see `chunk`).
        mutating func tuneChunk(took seconds: Double) {
            if seconds > 0.25 { chunk = max(1, chunk / 2) } else if seconds < 0.05 { chunk = min(maxChunk, chunk * 2) }
        }

        /// After a chunk: updates the counts, polls Ctrl-C and the time and memory bounds
        /// (true when one says stop, with `incomplete` set), and reports progress when due.
        /// `position`: the frontier states expanded so far.
        mutating func pollBounds(position: Int, now: Double) -> Bool {
            stats.distinctStates = links.count
            stats.depth = deepest
            stats.queue = frontier.count - position + nextLevel.count
            stats.seconds = now
            if interrupt.pointee != 0 { incomplete = .interrupted; return true }
            if let maxSeconds = options.maxSeconds, now >= maxSeconds { incomplete = .timeLimit; return true }
            if residentBytes() + UInt64(options.fullStates ? 0 : table.growthBytesSoon) >= memoryCeiling {
                incomplete = .memoryLimit; return true
            }
            if let progress, now - lastProgress >= options.progressInterval {
                lastProgress = now
                stats.bytesPerState = bytesPerState()
                progress(stats)
            }
            return false
        }

        /// The final counts and the result.
        mutating func finish() -> ExplorationResult<M> {
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
}

/// vCPU symmetry: the guest's CPUs are interchangeable.
///
/// Every vCPU boots the same way (`GuestState.init`: `init_mm` active, `swapper_pg_dir`
/// loaded, in `init_mm`'s `cpu_vm_mask`), and `enabledOperations` offers every CPU the same
/// steps: nothing in the seed or in Xen's rules singles out a CPU number. So renaming CPUs
/// (moving CPU `i`'s per-CPU state to `perm[i]`, together with every place that names a
/// CPU: `cpu_vm_mask`, the senders of pending cross calls, the CPUs a sender awaits, and
/// Xen's per-vCPU cr3) maps reachable states to reachable states, actions to actions
/// (`GuestOp.permutingCPUs`), and keeps every invariant's verdict. The explorer then stores
/// one state per class (`GuestModel.canonical`), which is sound for invariants (Ip and
/// Dill's symmetry reduction; `GuestSymmetryTests` checks the automorphism on reachable
/// states, with a known-false twin).
///
/// Cross calls are state here, delivered in every order the model allows (each target takes
/// its own queue's oldest call whenever it has interrupts on), so renaming CPUs does not
/// change which deliveries are possible: the condition the brief's issue #12 sets for this
/// reduction.
extension GuestState {
    /// The state with CPU `i` renamed `perm[i]` (a permutation of `0..<cpus.count`). The BUG
    /// and walk-limit messages are kept as they are (text that may name a CPU): the canonical
    /// form leaves such states alone.
    public func permutingCPUs(_ perm: [Int]) -> GuestState {
        guard perm.count == cpus.count else { return self }
        var s = self
        func map(_ c: Int) -> Int { perm.indices.contains(c) ? perm[c] : c }
        for (i, cpu) in cpus.enumerated() {
            var c = cpu
            c.awaiting = Set(cpu.awaiting.map(map))
            c.pendingIPIs = cpu.pendingIPIs.map { PendingIPI(from: map($0.from), mm: $0.mm) }
            s.cpus[map(i)] = c
        }
        for i in mms.indices {
            if let m = mms[i] { s.mms[i]?.cpuVMMask = Set(m.cpuVMMask.map(map)) }
        }
        for (v, root) in xen.cr3.enumerated() where perm.indices.contains(v) { s.xen.cr3[perm[v]] = root }
        return s
    }

    /// Hashes the parts of the state that name CPUs, as `permutingCPUs(perm)` would leave
    /// them, without building that state: the canonical form picks the renaming with the
    /// least key. Everything else is the same under every renaming, so two renamings with
    /// equal parts give equal states (a tie never splits a class), and a 64-bit hash
    /// collision between different parts only costs reduction, never soundness.
    func cpuPartKey(_ perm: [Int]) -> Int {
        var inverse = Array(repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        func map(_ c: Int) -> Int { perm.indices.contains(c) ? perm[c] : c }
        var h = Hasher()
        for new in inverse.indices {
            let cpu = cpus[inverse[new]]
            h.combine(cpu.currentMM); h.combine(cpu.activeMM); h.combine(cpu.tlbLazy)
            h.combine(cpu.xenCR3); h.combine(cpu.xenCurrentCR3); h.combine(cpu.lazyMode)
            h.combine(cpu.mc); h.combine(cpu.heldPTELocks); h.combine(cpu.lazyMM); h.combine(cpu.lazyPTEPage)
            h.combine(cpu.inFlight); h.combine(cpu.resume); h.combine(cpu.heldMMLocks)
            h.combine(Set(cpu.awaiting.map(map)))
            h.combine(cpu.pendingIPIs.count)
            for ipi in cpu.pendingIPIs { h.combine(map(ipi.from)); h.combine(ipi.mm) }
            h.combine(xen.cr3.indices.contains(inverse[new]) ? xen.cr3[inverse[new]] : nil)
        }
        for m in mms { h.combine(m.map { Set($0.cpuVMMask.map(map)) }) }
        return h.finalize()
    }

    /// The representative of the state's class under renaming CPUs: the renaming whose
    /// CPU-naming parts have the least key (`cpuPartKey`); the identity's on a tie, so the
    /// choice is a function of the class. A state with a BUG or a walk-limit violation is
    /// its own representative: its message names CPUs in text, it has no successor, and the
    /// explorer judges every invariant on it whatever its key (sound, no reduction there).
    public func canonicalUnderCPURenaming(_ perms: [[Int]]) -> GuestState {
        guard bug == nil, walkLimitViolation == nil, perms.count > 1 else { return self }
        var best: [Int]? = nil
        var bestKey = 0
        for p in perms where p.count == cpus.count {
            let k = cpuPartKey(p)
            if best == nil || k < bestKey { best = p; bestKey = k }
        }
        guard let best, best != Array(0..<cpus.count) else { return self }
        return permutingCPUs(best)
    }
}

extension GuestOp {
    /// The same operation on CPU `perm[cpu]` (what `GuestState.permutingCPUs(perm)` offers
    /// where this state offers `self`).
    public func permutingCPUs(_ perm: [Int]) -> GuestOp {
        func m(_ c: Int) -> Int { perm.indices.contains(c) ? perm[c] : c }
        switch self {
        case .setPteAt(let c, let mm, let va, let pte): return .setPteAt(cpu: m(c), mm: mm, va: va, pte: pte)
        case .setPmd(let c, let mm, let va, let v): return .setPmd(cpu: m(c), mm: mm, va: va, val: v)
        case .setPud(let c, let mm, let va, let v): return .setPud(cpu: m(c), mm: mm, va: va, val: v)
        case .ptepModifyProtCommit(let c, let mm, let va, let pte): return .ptepModifyProtCommit(cpu: m(c), mm: mm, va: va, pte: pte)
        case .pgdPin(let c, let mm): return .pgdPin(cpu: m(c), mm: mm)
        case .pgdUnpin(let c, let mm): return .pgdUnpin(cpu: m(c), mm: mm)
        case .activateMM(let c, let mm): return .activateMM(cpu: m(c), mm: mm)
        case .dupMmap(let c, let mm): return .dupMmap(cpu: m(c), mm: mm)
        case .exitMmap(let c, let mm): return .exitMmap(cpu: m(c), mm: mm)
        case .mmPinAll(let c): return .mmPinAll(cpu: m(c))
        case .mmUnpinAll(let c): return .mmUnpinAll(cpu: m(c))
        case .setPhysToMachine: return self
        case .makeLowmemPageReadonly(let c, let p): return .makeLowmemPageReadonly(cpu: m(c), pfn: p)
        case .makeLowmemPageReadwrite(let c, let p): return .makeLowmemPageReadwrite(cpu: m(c), pfn: p)
        case .enterLazyMMU(let c): return .enterLazyMMU(cpu: m(c))
        case .leaveLazyMMU(let c): return .leaveLazyMMU(cpu: m(c))
        case .switchMM(let c, let mm, let lazy): return .switchMM(cpu: m(c), mm: mm, stayLazy: lazy)
        case .leaveLazyCPU(let c): return .leaveLazyCPU(cpu: m(c))
        case .mmAlloc(let c, let mm): return .mmAlloc(cpu: m(c), mm: mm)
        case .pteAlloc(let c, let mm, let va): return .pteAlloc(cpu: m(c), mm: mm, va: va)
        case .mmFree(let c, let mm): return .mmFree(cpu: m(c), mm: mm)
        case .multicallEntry(let c): return .multicallEntry(cpu: m(c))
        case .dropOtherMMRef(let c): return .dropOtherMMRef(cpu: m(c))
        case .exitMmapUnpin(let c, let mm): return .exitMmapUnpin(cpu: m(c), mm: mm)
        case .setPteMFN(let c, let va, let mfn, let flags): return .setPteMFN(cpu: m(c), va: va, mfn: mfn, flags: flags)
        case .decreaseReservation(let c, let p): return .decreaseReservation(cpu: m(c), pfn: p)
        case .increaseReservation(let c, let p): return .increaseReservation(cpu: m(c), pfn: p)
        }
    }
}

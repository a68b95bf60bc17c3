/// vCPU symmetry: the guest's CPUs are interchangeable.
///
/// Every vCPU boots the same way (`GuestState.init`: `init_mm` active, `swapper_pg_dir`
/// loaded, in `init_mm`'s `cpu_vm_mask`), and `enabledOperations` offers every CPU the same
/// steps: nothing in the seed or in Xen's rules singles out a CPU number. So renaming CPUs
/// (moving CPU `i`'s per-CPU state to `perm[i]`, together with every place that names a
/// CPU: `cpu_vm_mask`, the senders of pending cross calls, the CPUs a sender awaits, and
/// Xen's per-vCPU cr3) maps reachable states to reachable states (the renamed state's
/// successors are the renamed successors), and keeps every invariant's verdict. The explorer then stores
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
        for (i, cpu) in cpus.enumerated() { s.cpus[map(i)] = cpu.naming(map) }
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
            h.combine(cpus[inverse[new]].naming(map))   // every field, as GuestCPU hashes itself
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

extension GuestCPU {
    /// This CPU's state with the CPUs it names (those it awaits, the senders of its pending
    /// cross calls) renamed by `map`: what `GuestState.permutingCPUs` moves, and what the
    /// canonical form's key hashes, so a field added to `GuestCPU` is in both.
    func naming(_ map: (Int) -> Int) -> GuestCPU {
        var c = self
        c.awaiting = Set(awaiting.map(map))
        c.pendingIPIs = pendingIPIs.map { PendingIPI(from: map($0.from), mm: $0.mm) }
        return c
    }
}

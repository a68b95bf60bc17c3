import MMUSpec

/// Symmetry over interchangeable machine frames on the packed state, and fingerprints.
///
/// As in the spec engine's `canonical`: frames are ordered by a signature that names no
/// frame (their byte, counts, m2p entry, how many cr3s name them, the shape of each entry
/// and whether it maps the frame itself), and only frames with equal signatures are tried
/// in every order; the smallest packed state wins. Signatures depend only on the class, so
/// every member of a class maps to the same representative (collisions of the 64-bit
/// signature only make the tie groups larger, never unsound).
extension FastXen {
    /// The most renamings tried for one state (6 frames); with more frames, ties keep their
    /// order (sound, just not one representative per class).
    public static let maxArrangements = 720

    @inline(__always)
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let m = (a ^ b).multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15)
        return m.high ^ m.low
    }

    @inline(__always)
    func signature(_ s: FastXenState, _ f: Int) -> UInt64 {
        var cr3s: UInt64 = 0
        for v in 0..<vcpuCount where cr3(s, v) == f { cr3s &+= 1 }
        var h = UInt64(meta(s, f)) | UInt64(s[tcBase &+ f]) << 8 | UInt64(s[gcBase &+ f]) << 16
            | UInt64(s[m2pBase &+ f]) << 24 | cr3s << 32
        for slot in 0..<slotCount {
            let v = entry(s, f, slot)
            h = FastXen.mix(h, UInt64(vShape[v]) << 1 | (Int(vFrame[v]) == f ? 1 : 0))
        }
        return h
    }

    /// `s` with frames renamed by `perm` (`perm[old] = new`): frame bytes, counts, m2p,
    /// present entries' frames and cr3s.
    @inline(__always)
    func permuted(_ s: FastXenState, _ perm: borrowing InlineArray<16, Int>) -> FastXenState {
        var t = FastXenState()
        for f in 0..<frameCount {
            let g = perm[f]
            t[metaBase &+ g] = s[metaBase &+ f]
            t[tcBase &+ g] = s[tcBase &+ f]
            t[gcBase &+ g] = s[gcBase &+ f]
            t[m2pBase &+ g] = s[m2pBase &+ f]
            for slot in 0..<slotCount {
                let v = entry(s, f, slot)
                let target = vFrame[v]
                setEntry(&t, g, slot, target == FastXen.noFrame ? v : Int(renameTo[v &* frameCount &+ perm[Int(target)]]))
            }
        }
        for v in 0..<vcpuCount {
            let c = s[cr3Base &+ v]
            t[cr3Base &+ v] = c == 0 ? 0 : UInt8(truncatingIfNeeded: perm[Int(c) - 1] + 1)
        }
        return t
    }

    /// `s` with frames renamed by `perm` (`perm[old] = new`), nil when `perm` is not a
    /// permutation of the frames (for tests and the differential tester).
    public func renaming(_ s: FastXenState, _ perm: [Int]) -> FastXenState? {
        guard perm.count == frameCount, Set(perm) == Set(0..<frameCount) else { return nil }
        var p = InlineArray<16, Int>(repeating: 0)
        for (i, x) in perm.enumerated() { p[i] = x }
        return permuted(s, p)
    }

    /// `s` with every table's entries renamed by slot permutation number `k` of
    /// `slotPermutations` (`XenState.permutingSlots` on the packed state).
    @inline(__always)
    func slotPermuted(_ s: FastXenState, _ k: Int) -> FastXenState {
        var t = s
        let base = k &* slotCount
        for f in 0..<frameCount {
            for slot in 0..<slotCount { t[f &* slotCount &+ Int(slotPermutations[base &+ slot])] = s[f &* slotCount &+ slot] }
        }
        return t
    }

    /// `s` with every table's slots renamed by `sigma` (`sigma[old] = new`), nil when `sigma`
    /// is not a permutation of the slots (for tests and the differential tester).
    public func renamingSlots(_ s: FastXenState, _ sigma: [Int]) -> FastXenState? {
        guard sigma.count == slotCount, Set(sigma) == Set(0..<slotCount) else { return nil }
        var t = s
        for f in 0..<frameCount { for slot in 0..<slotCount { t[f &* slotCount &+ sigma[slot]] = s[f &* slotCount &+ slot] } }
        return t
    }

    /// The representative of `s`'s class under renaming of machine frames and of entry
    /// slots: the smallest frame representative of `s`'s slot renamings.
    public func canonical(_ s: FastXenState) -> FastXenState {
        var best = frameCanonical(s)
        for k in 1..<slotRenamings { let t = frameCanonical(slotPermuted(s, k)); if t < best { best = t } }
        return best
    }

    /// The representative of `s`'s class under renaming of machine frames.
    func frameCanonical(_ s: FastXenState) -> FastXenState {
        guard frameCount > 1 else { return s }
        var sig = InlineArray<16, UInt64>(repeating: 0)
        var order = InlineArray<16, Int>(repeating: 0)
        for f in 0..<frameCount { sig[f] = signature(s, f); order[f] = f }
        // Insertion sort by signature (frameCount is small), ties by frame number.
        for i in 1..<frameCount {
            let x = order[i]
            var j = i
            while j > 0 && sig[order[j - 1]] > sig[x] { order[j] = order[j - 1]; j -= 1 }
            order[j] = x
        }
        var perm = InlineArray<16, Int>(repeating: 0)
        var ties = false
        for position in 0..<frameCount {
            perm[order[position]] = position
            if position > 0 && sig[order[position]] == sig[order[position - 1]] { ties = true }
        }
        if !ties { return permuted(s, perm) }
        // Ties: try every renaming that keeps the signature order (frames of equal signature
        // in every order), from the precomputed permutations when frameCount is small.
        guard !allPermutations.isEmpty else { return permuted(s, perm) }
        var sortedSig = InlineArray<16, UInt64>(repeating: 0)
        for position in 0..<frameCount { sortedSig[position] = sig[order[position]] }
        var best: FastXenState? = nil
        var p = 0
        while p < allPermutations.count {
            var ok = true
            for f in 0..<frameCount where sortedSig[Int(allPermutations[p &+ f])] != sig[f] { ok = false; break }
            if ok {
                for f in 0..<frameCount { perm[f] = Int(allPermutations[p &+ f]) }
                let t = permuted(s, perm)
                if best == nil || t < best! { best = t }
            }
            p &+= frameCount
        }
        return best ?? permuted(s, perm)
    }

    /// Every permutation of `0..<frames`, flattened (empty past `maxArrangements`).
    static func permutations(_ n: Int) -> [UInt8] {
        var count = 1
        for k in 1...max(1, n) { count *= k; if count > maxArrangements { return [] } }
        return Permutations.all(of: n).flatMap { $0.map { UInt8($0) } }
    }

    static let factorial = [1, 1, 2, 6, 24, 120, 720]
    /// For n in 0...6: every permutation of 0..<n, flattened.
    static let smallPermutations: [[UInt8]] = (0...6).map { permutations($0) }

    /// fmix64 (MurmurHash3's finaliser): spreads the last word's bits over the whole key.
    @inline(__always)
    static func finish(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 33; h &*= 0xFF51_AFD7_ED55_8CCD; h ^= h >> 33; h &*= 0xC4CE_B9FE_1A85_EC53; h ^= h >> 33
        return h
    }

    @inline(__always)
    func hashWords(_ x: FastXenState) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        for i in 0..<usedWords { h = FastXen.mix(h, x.word(i)) }
        return FastXen.finish(h)
    }

    /// A hash of the packed state as it is (no reduction, no symmetry).
    @inline(__always)
    public func rawHash(_ s: FastXenState) -> UInt64 { hashWords(s) }

    /// A 64-bit fingerprint of the packed state (of its canonical form when `symmetric`).
    @inline(__always)
    public func fingerprint(_ s: FastXenState, symmetric: Bool, forgetStaleTypes: Bool = false) -> UInt64 {
        if symmetric { return canonicalFingerprint(s, forgetStaleTypes: forgetStaleTypes) }
        return hashWords(forgetStaleTypes ? forgettingStaleTypes(s) : s)
    }

    /// The state with the type of every frame that is not validated reset to none (the
    /// spec's `forgettingStaleTypes`, on the packed state).
    @inline(__always)
    public func forgettingStaleTypes(_ s: FastXenState) -> FastXenState {
        var x = s
        for f in 0..<frameCount { let m = meta(x, f); if m & FastXen.validatedBit == 0 && m & FastXen.typeMask != 0 { setMeta(&x, f, m & ~FastXen.typeMask) } }
        return x
    }
}

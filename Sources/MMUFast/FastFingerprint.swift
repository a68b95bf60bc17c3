import MMUSpec

/// The symmetry fingerprint the explorer computes for every successor it has not seen:
/// the hash of a canonical form, computed on the packed state's bytes without building it.
extension FastXen {
    /// The fingerprint of `s`'s class under renaming of frames and of slots, computed without
    /// building the renamed state.
    ///
    /// Slots first: each slot renaming gets a cheap key, a sum over frames (so blind to frame
    /// names) of each frame's low word and its entries' shapes in the renamed slot order, and
    /// only the renamings with the least key are tried. Renaming the frames of `s` leaves every
    /// key alone and renaming its slots permutes the keys, so the states tried are the same
    /// for every member of a class (up to frame renaming, which the next step absorbs); most
    /// states have one least key.
    ///
    /// Then frames: in signature order, each as one word (its byte, counts and m2p entry, its
    /// entries renamed), then the renamed cr3s; ties broken by the smallest sequence of words
    /// over the renamings that keep the order. The signature counts what points at a frame (by
    /// entry shape), which breaks most ties; a tie group of frames nothing points at with
    /// identical bytes needs no search (every order gives the same words). With
    /// `forgetStaleTypes` the type of a frame that is not validated reads as none.
    ///
    /// The result is constant on a class, and distinct classes differ but for fingerprint
    /// collisions. Needs entries per table <= 4 and 2...6 frames; otherwise it hashes
    /// `canonical(s)`.
    @inline(__always)
    func canonicalFingerprint(_ s: FastXenState, forgetStaleTypes: Bool) -> UInt64 {
        guard slotCount <= 4, frameCount > 1, frameCount <= 6 else {
            return hashWords(canonical(forgetStaleTypes ? forgettingStaleTypes(s) : s))
        }
        var copy = s
        return withUnsafeBytes(of: &copy) { bytes in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Scratch.words) { scratch in
                packedFingerprint(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), scratch.baseAddress!,
                                  forgetStaleTypes: forgetStaleTypes)
            }
        }
    }

    /// Scratch words of `packedFingerprint`, by region.
    private enum Scratch {
        /// `incoming` and `perm` have 16 words: a value naming no frame (0xFF) uses word 15.
        static let low = 0, start = 8, incoming = 16, codes = 32, sig = 64, best = 72, candidate = 81
        static let order = 90, perm = 98, words = 114
    }

    /// `canonicalFingerprint` for 2...6 frames and at most 4 entries per table, on the state's
    /// bytes `b` with `w` (`Scratch.words` words) as scratch. Raw memory because this is the
    /// explorer's hottest loop: indexed without bounds checks (every index comes from the
    /// layout or from a table with a row for each byte value) and without copying the state
    /// or fixed-size arrays (161 ns a successor with both, about 100 ns without, on the
    /// 4-frame spec).
    @inline(__always)
    func packedFingerprint(_ b: UnsafePointer<UInt8>, _ w: UnsafeMutablePointer<UInt64>, forgetStaleTypes: Bool) -> UInt64 {
        let frameCount = self.frameCount, slotCount = self.slotCount, t = tables
        let low = w + Scratch.low, start = w + Scratch.start, incoming = w + Scratch.incoming
        let codes = w + Scratch.codes
        for f in 0..<frameCount { start[f] = 0 }
        for f in 0..<16 { incoming[f] = 0 }
        for v in 0..<vcpuCount { let c = Int(truncatingIfNeeded: b[cr3Base &+ v]); if c != 0 { start[c &- 1] &+= 1 &<< 32 } }
        // Branch-free below: the data decides, and mispredicted branches cost more than the work.
        let stale: UInt8 = forgetStaleTypes ? ~FastXen.typeMask : 0xFF   // 0xFF: keep every bit
        for f in 0..<frameCount {
            var m = b[metaBase &+ f]
            m &= m & FastXen.validatedBit == 0 ? stale : 0xFF
            let l = UInt64(truncatingIfNeeded: m) | UInt64(truncatingIfNeeded: b[tcBase &+ f]) &<< 8 | UInt64(truncatingIfNeeded: b[gcBase &+ f]) &<< 16 | UInt64(truncatingIfNeeded: b[m2pBase &+ f]) &<< 24
            low[f] = l
            start[f] |= l
            for slot in 0..<slotCount {
                let info = t.vInfo[Int(truncatingIfNeeded: b[f &* slotCount &+ slot])]
                let target = Int(truncatingIfNeeded: info & 0xFF)
                let code = UInt64(truncatingIfNeeded: info &>> 8) &<< 1 | (target == f ? 1 : 0)
                codes[f &* 4 &+ slot] = code
                incoming[target & 15] &+= (code &+ 1) &* 0x9E37_79B9_7F4A_7C15
            }
        }
        if slotRenamings == 1 { return packedFrameFingerprint(b, w, slotRenaming: 0) }
        /// Slot renaming `k`'s key.
        @inline(__always) func key(_ k: Int) -> UInt64 {
            let inverse = t.slotInverse + k &* slotCount
            var sum: UInt64 = 0
            for f in 0..<frameCount {
                var x = start[f]
                for j in 0..<slotCount { x = x &* 0x100_0000_01B3 ^ codes[f &* 4 &+ Int(truncatingIfNeeded: inverse[j])] }
                x &*= 0x9E37_79B9_7F4A_7C15
                sum &+= x ^ (x &>> 29)
            }
            return sum
        }
        var least = UInt64.max, first = 0, count = 0
        for k in 0..<slotRenamings {
            let sum = key(k)
            if sum < least { least = sum; first = k; count = 1 } else if sum == least { count &+= 1 }
        }
        var best = packedFrameFingerprint(b, w, slotRenaming: first)
        if count > 1 {
            // Several renamings share the least key: compute the keys again to find them.
            for k in (first &+ 1)..<slotRenamings where key(k) == least {
                best = min(best, packedFrameFingerprint(b, w, slotRenaming: k))
            }
        }
        return FastXen.finish(best)
    }

    /// `frameFingerprint` on raw memory (see `packedFingerprint`).
    @inline(__always)
    func packedFrameFingerprint(_ b: UnsafePointer<UInt8>, _ w: UnsafeMutablePointer<UInt64>, slotRenaming k: Int) -> UInt64 {
        let frameCount = self.frameCount, slotCount = self.slotCount
        let start = w + Scratch.start, incoming = w + Scratch.incoming, codes = w + Scratch.codes
        let sig = w + Scratch.sig, order = w + Scratch.order, perm = w + Scratch.perm
        let inverse = tables.slotInverse + k &* slotCount
        for f in 0..<frameCount {
            var h = start[f]
            for j in 0..<slotCount { h = FastXen.mix(h, codes[f &* 4 &+ Int(truncatingIfNeeded: inverse[j])]) }
            sig[f] = FastXen.mix(h, incoming[f])
        }
        // Each frame's rank in signature order (ties by frame number), counted without branches.
        var tied = 0
        for f in 0..<frameCount {
            var rank = 0
            let x = sig[f]
            for g in 0..<frameCount {
                let y = sig[g]
                let equal = y == x ? 1 : 0
                rank &+= (y < x ? 1 : 0) | (equal & (g < f ? 1 : 0))
                tied |= equal & (g != f ? 1 : 0)
            }
            perm[f] = UInt64(truncatingIfNeeded: rank)
            order[rank] = UInt64(truncatingIfNeeded: f)
        }
        perm[15] = 0   // for values naming no frame (`packedRenamedWords`)
        let best = w + Scratch.best
        packedRenamedWords(b, w, slotRenaming: k, into: best)
        if tied != 0 { packedTieSearch(b, w, slotRenaming: k) }
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        for q in 0...frameCount { h = FastXen.mix(h, best[q]) }
        return FastXen.finish(h)
    }

    /// Frames of equal signature: the least words over every order of each tie group (into
    /// the scratch's `best`), unless the group's frames are identical and nothing points at
    /// them (every order then gives the same words).
    func packedTieSearch(_ b: UnsafePointer<UInt8>, _ w: UnsafeMutablePointer<UInt64>, slotRenaming k: Int) {
        let frameCount = self.frameCount, slotCount = self.slotCount
        let start = w + Scratch.start, incoming = w + Scratch.incoming
        let sig = w + Scratch.sig, order = w + Scratch.order, perm = w + Scratch.perm
        // Tie groups (runs of equal signatures) that need a search.
        var groupStart = (0, 0, 0), groupLength = (0, 0, 0)
        var groups = 0
        var i = 0
        while i < frameCount {
            var j = i &+ 1
            while j < frameCount && sig[Int(truncatingIfNeeded: order[j])] == sig[Int(truncatingIfNeeded: order[i])] { j &+= 1 }
            if j &- i > 1 {
                var trivial = true
                let first = Int(truncatingIfNeeded: order[i])
                for q in i..<j where trivial {
                    let f = Int(truncatingIfNeeded: order[q])
                    if incoming[f] != 0 || start[f] &>> 32 != 0 { trivial = false; break }
                    // Comparing the entries slot by slot is the same under any slot renaming.
                    for slot in 0..<slotCount where b[f &* slotCount &+ slot] != b[first &* slotCount &+ slot] { trivial = false; break }
                }
                if !trivial {
                    // At most 3 groups of 2 or more among 6 frames.
                    switch groups {
                    case 0: groupStart.0 = i; groupLength.0 = j &- i
                    case 1: groupStart.1 = i; groupLength.1 = j &- i
                    default: groupStart.2 = i; groupLength.2 = j &- i
                    }
                    groups &+= 1
                }
            }
            i = j
        }
        let best = w + Scratch.best, candidate = w + Scratch.candidate
        if groups > 0 {
            // Odometer over the permutations of each group's positions.
            var counter = (0, 0, 0)
            func start(_ g: Int) -> Int { g == 0 ? groupStart.0 : g == 1 ? groupStart.1 : groupStart.2 }
            func length(_ g: Int) -> Int { g == 0 ? groupLength.0 : g == 1 ? groupLength.1 : groupLength.2 }
            func count(_ g: Int) -> Int { g == 0 ? counter.0 : g == 1 ? counter.1 : counter.2 }
            func setCount(_ g: Int, _ x: Int) { if g == 0 { counter.0 = x } else if g == 1 { counter.1 = x } else { counter.2 = x } }
            while true {
                var g = 0
                while g < groups {
                    setCount(g, count(g) &+ 1)
                    if count(g) < FastXen.factorial[length(g)] { break }
                    setCount(g, 0)
                    g &+= 1
                }
                if g == groups { break }
                for h in 0..<groups {
                    let n = length(h), from = start(h), table = FastXen.smallPermutations[n]
                    for q in 0..<n { perm[Int(truncatingIfNeeded: order[from &+ q])] = UInt64(truncatingIfNeeded: from &+ Int(truncatingIfNeeded: table[count(h) &* n &+ q])) }
                }
                packedRenamedWords(b, w, slotRenaming: k, into: candidate)
                for q in 0...frameCount where candidate[q] != best[q] {
                    if candidate[q] < best[q] { best.update(from: candidate, count: frameCount &+ 1) }
                    break
                }
            }
        }
    }

    /// `renamedWords` on raw memory: the words of the state with frames renamed by the
    /// scratch's `perm` and slots by slot renaming `k`, in position order, cr3s last.
    @inline(__always)
    func packedRenamedWords(_ b: UnsafePointer<UInt8>, _ w: UnsafeMutablePointer<UInt64>, slotRenaming k: Int,
                            into out: UnsafeMutablePointer<UInt64>) {
        let frameCount = self.frameCount, slotCount = self.slotCount, t = tables
        let low = w + Scratch.low, perm = w + Scratch.perm
        let inverse = t.slotInverse + k &* slotCount
        for f in 0..<frameCount {
            var x = low[f]
            for slot in 0..<slotCount {
                let v = Int(truncatingIfNeeded: b[f &* slotCount &+ Int(truncatingIfNeeded: inverse[slot])])
                // A value naming no frame renames to itself whatever `perm[15]` says.
                let renamed = UInt64(truncatingIfNeeded: t.renameTo[v &* frameCount &+ Int(truncatingIfNeeded: perm[Int(truncatingIfNeeded: t.vInfo[v] & 15)])])
                x |= renamed &<< UInt64(truncatingIfNeeded: 32 &+ 8 &* slot)
            }
            out[Int(truncatingIfNeeded: perm[f])] = x
        }
        var r3: UInt64 = 0
        for v in 0..<vcpuCount {
            let r = b[cr3Base &+ v]
            r3 |= (r == 0 ? 0 : perm[Int(truncatingIfNeeded: r) &- 1] &+ 1) &<< UInt64(truncatingIfNeeded: 8 &* v)
        }
        out[frameCount] = r3
    }
}

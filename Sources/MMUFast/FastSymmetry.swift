/// Symmetry over interchangeable machine frames on the packed state, and fingerprints.
///
/// As in the spec engine's `canonical`: frames are ordered by a signature that names no
/// frame (their byte, counts, m2p entry, how many cr3s name them, the shape of each entry
/// and whether it maps the frame itself), and only frames with equal signatures are tried
/// in every order; the smallest packed state wins. Signatures depend only on the class, so
/// every member of a class maps to the same representative (collisions of the 64-bit
/// signature only make the tie groups larger, never unsound).
extension FastXen {
    /// The most renamings tried for one state; past it, ties keep their order (sound, just
    /// not one representative per class).
    public static let maxArrangements = 720

    @inline(__always)
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let m = (a ^ b).multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15)
        return m.high ^ m.low
    }

    @inline(__always)
    func signature(_ s: FastXenState, _ f: Int) -> UInt64 {
        var cr3s: UInt64 = 0
        for v in 0..<V where cr3(s, v) == f { cr3s &+= 1 }
        var h = UInt64(meta(s, f)) | UInt64(s[tcBase &+ f]) << 8 | UInt64(s[gcBase &+ f]) << 16
            | UInt64(s[m2pBase &+ f]) << 24 | cr3s << 32
        for slot in 0..<E {
            let v = entry(s, f, slot)
            h = FastXen.mix(h, UInt64(vShape[v]) << 1 | (Int(vFrame[v]) == f ? 1 : 0))
        }
        return h
    }

    /// `s` with frames renamed by `perm` (`perm[old] = new`): frame bytes, counts, m2p,
    /// present entries' frames and cr3s.
    @inline(__always)
    func permuted(_ s: FastXenState, _ perm: UnsafeMutableBufferPointer<Int>) -> FastXenState {
        var t = FastXenState()
        for f in 0..<F {
            let g = perm[f]
            t[metaBase &+ g] = s[metaBase &+ f]
            t[tcBase &+ g] = s[tcBase &+ f]
            t[gcBase &+ g] = s[gcBase &+ f]
            t[m2pBase &+ g] = s[m2pBase &+ f]
            for slot in 0..<E {
                let v = entry(s, f, slot)
                let target = vFrame[v]
                setEntry(&t, g, slot, target == 0xFF ? v : Int(renameTo[v &* F &+ perm[Int(target)]]))
            }
        }
        for v in 0..<V {
            let c = s[cr3Base &+ v]
            t[cr3Base &+ v] = c == 0 ? 0 : UInt8(truncatingIfNeeded: perm[Int(c) - 1] + 1)
        }
        return t
    }

    /// The representative of `s`'s class under renaming of machine frames.
    public func canonical(_ s: FastXenState) -> FastXenState {
        guard F > 1 else { return s }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 4 * F) { buf in
            let order = UnsafeMutableBufferPointer(rebasing: buf[0..<F])
            let perm = UnsafeMutableBufferPointer(rebasing: buf[F..<2 * F])
            let groupStart = UnsafeMutableBufferPointer(rebasing: buf[2 * F..<3 * F])
            let sigsBuf = UnsafeMutableBufferPointer(rebasing: buf[3 * F..<4 * F])
            for f in 0..<F { order[f] = f; sigsBuf[f] = Int(bitPattern: UInt(signature(s, f))) }
            // Insertion sort by signature (F is small), ties by frame number.
            for i in 1..<F {
                let x = order[i]
                var j = i
                while j > 0 && UInt(bitPattern: sigsBuf[order[j - 1]]) > UInt(bitPattern: sigsBuf[x]) {
                    order[j] = order[j - 1]; j -= 1
                }
                order[j] = x
            }
            for (position, f) in order.enumerated() { perm[f] = position }
            // Groups of equal signatures (as runs in `order`).
            var groups = 0
            var arrangements = 1
            var runLength = 0
            for i in 0..<F {
                if i > 0 && sigsBuf[order[i]] == sigsBuf[order[i - 1]] {
                    runLength += 1
                    arrangements = min(arrangements * runLength, FastXen.maxArrangements + 1)
                } else {
                    groupStart[groups] = i; groups += 1; runLength = 1
                }
            }
            if arrangements == 1 || arrangements > FastXen.maxArrangements { return permuted(s, perm) }
            // Try every arrangement within the groups: permute positions inside each run.
            var best = permuted(s, perm)
            func arrange(_ g: Int) {
                if g == groups {
                    let t = permuted(s, perm)
                    if t < best { best = t }
                    return
                }
                let start = groupStart[g]
                let end = g + 1 < groups ? groupStart[g + 1] : F
                if end - start == 1 { arrange(g + 1); return }
                // Heap's algorithm over the positions assigned to this run's frames.
                let n = end - start
                var c = [Int](repeating: 0, count: n)
                arrange(g + 1)
                var i = 0
                while i < n {
                    if c[i] < i {
                        let a = order[start + (i % 2 == 0 ? 0 : c[i])], b = order[start + i]
                        let pa = perm[a]; perm[a] = perm[b]; perm[b] = pa
                        arrange(g + 1)
                        c[i] += 1
                        i = 0
                    } else {
                        c[i] = 0
                        i += 1
                    }
                }
            }
            arrange(0)
            return best
        }
    }

    /// A 64-bit fingerprint of the packed state (of its canonical form when `symmetric`).
    @inline(__always)
    public func fingerprint(_ s: FastXenState, symmetric: Bool) -> UInt64 {
        let x = symmetric ? canonical(s) : s
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        for i in 0..<usedWords { h = FastXen.mix(h, x.word(i)) }
        // fmix64 (MurmurHash3's finaliser) spreads the last word's bits over the whole key.
        h ^= h >> 33; h &*= 0xFF51_AFD7_ED55_8CCD; h ^= h >> 33; h &*= 0xC4CE_B9FE_1A85_EC53; h ^= h >> 33
        return h
    }
}

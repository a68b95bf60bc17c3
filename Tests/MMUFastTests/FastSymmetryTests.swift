import Testing
@testable import MMUFast
import MMUSpec

/// Symmetry on packed states (FastSymmetry.swift, FastFingerprint.swift).
@Suite struct FastSymmetryTests {
    /// Symmetry on packed states: every renaming of a reachable state (of its frames, of its
    /// slots, of both) has the same canonical form and fingerprint, and renaming agrees with
    /// the spec's renaming.
    @Test func canonicalFormIsTheSameForEveryRenaming() throws {
        let fx = try FastFixture(frames: 3, recursive: false)   // slot symmetry needs linear entries off
        let e = fx.engine
        var rng = TestRNG(seed: 7)
        let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        var checked = 0
        for _ in 0..<200 {
            let s = fx.randomState(&rng, steps: 12)
            let specState = e.specState(of: s)
            for p in perms {
                var inline = InlineArray<16, Int>(repeating: 0)
                for (i, x) in p.enumerated() { inline[i] = x }
                let r = e.permuted(s, inline)
                #expect(e.specState(of: r) == specState.permutingFrames(p))
                #expect(e.canonical(r) == e.canonical(s))
                #expect(e.fingerprint(r, symmetric: true) == e.fingerprint(s, symmetric: true))
                #expect(e.fingerprint(r, symmetric: true, forgetStaleTypes: true) == e.fingerprint(s, symmetric: true, forgetStaleTypes: true))
                let rs = e.slotPermuted(r, 1)   // and the slots swapped
                #expect(e.specState(of: rs) == specState.permutingFrames(p).permutingSlots([1, 0]))
                #expect(e.canonical(rs) == e.canonical(s))
                #expect(e.fingerprint(rs, symmetric: true) == e.fingerprint(s, symmetric: true))
                #expect(e.fingerprint(rs, symmetric: true, forgetStaleTypes: true) == e.fingerprint(s, symmetric: true, forgetStaleTypes: true))
                checked += 1
            }
        }
        #expect(checked == 1200)
        // The fingerprint tells classes apart: 200 random states are not all one class.
        #expect(Set((0..<50).map { e.fingerprint(fx.ops.indices.dropFirst($0).first.flatMap { e.step(e.initialState, fx.ops[$0]) } ?? e.initialState, symmetric: true) }).count > 1)
    }

    /// The symmetry fingerprint tells exactly the classes apart: over random reachable states
    /// of the 4-frame spec and a random renaming (frames and slots) of each, two fingerprints
    /// are equal exactly when the canonical states (`canonical`: built state by state, another
    /// code path) are, with and without forgetting stale types.
    @Test func fingerprintPartitionsStatesAsTheCanonicalFormDoes() throws {
        let fx = try FastFixture(frames: 4, recursive: false)   // slot symmetry needs linear entries off
        let e = fx.engine
        var rng = TestRNG(seed: 3)
        for forget in [false, true] {
            var byCanonical: [FastXenState: UInt64] = [:]
            var byFingerprint: [UInt64: FastXenState] = [:]
            var mismatches = 0
            for _ in 0..<3000 {
                let s = fx.randomState(&rng, steps: Int(rng.next() % 40))
                var frames = [0, 1, 2, 3]
                for i in stride(from: 3, to: 0, by: -1) { frames.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
                let framesRenamed = try #require(e.renaming(s, frames))
                let renamed = try #require(e.renamingSlots(framesRenamed, rng.next() % 2 == 0 ? [0, 1] : [1, 0]))
                for x in [s, renamed] {
                    let c = e.canonical(forget ? e.forgettingStaleTypes(x) : x)
                    let fp = e.fingerprint(x, symmetric: true, forgetStaleTypes: forget)
                    if let known = byCanonical[c], known != fp { mismatches += 1 } else { byCanonical[c] = fp }
                    if let known = byFingerprint[fp], known != c { mismatches += 1 } else { byFingerprint[fp] = c }
                }
            }
            #expect(mismatches == 0, "forgetting stale types: \(forget)")
            #expect(byCanonical.count > 1000, "too few classes (\(byCanonical.count)) to test the fingerprint")
        }
    }
}

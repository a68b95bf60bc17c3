import Testing
@testable import MMUFast
import MMUSpec

/// The step context (FastStepContext.swift).
@Suite struct FastStepContextTests {
    /// The step context (the page walks a state's guest stores and update-va-mappings share)
    /// changes no successor: every action from 300 random reachable states steps to the same
    /// state with and without it. And it is not ignored: stepping with another state's
    /// context gives a different successor somewhere.
    @Test(arguments: [2, 3])
    func stepContextChangesNoSuccessor(_ frames: Int) throws {
        let fx = try FastFixture(frames: frames)
        let e = fx.engine
        var rng = TestRNG(seed: 11)
        var previous = e.initialState
        var compared = 0, viaContext = 0, wrongContextDiffers = 0
        for _ in 0..<300 {
            let s = fx.randomState(&rng, steps: Int(rng.next() % 40))
            let context = e.stepContext(s)
            #expect(!context.isEmpty)
            let stale = e.stepContext(previous)
            for op in fx.ops {
                let plain = e.step(s, op)
                #expect(e.step(s, op, context: context) == plain, "\(fx.actions[Int(op.index)]) from \(e.specState(of: s))")
                compared += 1
                if plain != nil && (op.kind == .guestStore || op.kind == .updateVAMapping) { viaContext += 1 }
                if e.step(s, op, context: stale) != plain { wrongContextDiffers += 1 }
            }
            previous = s
        }
        #expect(compared > 10_000)
        #expect(viaContext > 50, "too few guest stores or update-va-mappings succeeded to test the context")
        #expect(wrongContextDiffers > 0)
    }
}

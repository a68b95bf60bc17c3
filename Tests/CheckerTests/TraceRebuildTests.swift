import Testing
@testable import Checker

/// A model that breaks the contract: its step with a context (what the explorer runs) goes
/// one way, its plain step (what trace rebuilding replays) another.
struct ContextDisagrees: Model {
    typealias State = Int
    typealias Action = Int
    typealias StepContext = Int
    func initialStates() -> [Int] { [0] }
    func actions(in state: Int) -> [Int] { [1] }
    func next(_ state: Int, _ action: Int) -> Int? { state < 10 ? state + 2 : nil }
    func stepContext(_ state: Int) -> Int { 1 }
    func next(_ state: Int, _ action: Int, context: Int) -> Int? { state < 10 ? state + context : nil }
    var invariants: [NamedInvariant<Int>] { [NamedInvariant("below-three") { $0 < 3 ? nil : "reached \($0)" }] }
}

@Suite struct TraceRebuildTests {
    @Test func aTraceThatCannotBeRebuiltIsReportedNotTrapped() throws {
        let r = Explorer(model: ContextDisagrees()).run()
        let v = try #require(r.violations.first)
        #expect(v.invariant == "below-three")
        let why = try #require(v.traceError)
        #expect(why.contains("cannot rebuild the trace"), "\(why)")
        // A model that keeps the contract rebuilds every trace.
        let ok = Explorer(model: Jugs()).run()
        #expect(ok.violations.allSatisfy { $0.traceError == nil })
    }
}

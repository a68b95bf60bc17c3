import MMUFast
import MMUSpec

/// What one hypervisor action came to, in one vocabulary for the scenario runner's answers,
/// the explorer's coverage (`Model.outcomeLabels`) and `expect-reached:` outcomes: "ok" for
/// an accepted hypercall, "written" or "emulated" for an accepted guest store (a plain write,
/// or `ptwr_emulated_update`), else Xen's error code ("-EINVAL" …).
public struct XenAnswer: Sendable, Equatable {
    /// Requests done, the first error, and for an accepted guest store how Xen handled it.
    public var done: Int
    public var error: XenError?
    public var store: XenState.StoreOutcome?

    /// Every label, in coverage order.
    public static let labels: [String] = ["ok", "written", "emulated"] + XenError.allCases.map(\.description)

    /// This answer's label (an element of `labels`).
    public var label: String { XenAnswer.labels[labelIndex] }
    public var labelIndex: Int {
        if let error { return 3 + XenError.allCases.firstIndex(of: error)! }
        switch store {
        case .plainWrite?: return 1
        case .emulatedL1Update?: return 2
        case nil: return 0
        }
    }

    /// As the scenario runner prints it: "ok (emulated)", "-EINVAL (done 2)".
    public var text: String {
        if let error { return done > 0 ? "\(error) (done \(done))" : error.description }
        switch store {
        case .emulatedL1Update?: return "ok (emulated)"
        case .plainWrite?: return "ok (written)"
        case nil: return "ok"
        }
    }

    /// `a` on `x`, by the spec (`XenState.guestStore`, `XenState.hypercall`).
    public static func perform(_ a: XenAction, on x: inout XenState) -> XenAnswer {
        switch a {
        case .guestStore(let v, let va, let slot, let val):
            switch x.guestStore(vcpu: v, va: va, slot: slot, val: val) {
            case .success(let k): return XenAnswer(done: 1, error: nil, store: k)
            case .failure(let e): return XenAnswer(done: 0, error: e, store: nil)
            }
        case .hypercall(let v, let call):
            let r = x.hypercall(call, vcpu: v)
            return XenAnswer(done: r.done, error: r.error, store: nil)
        }
    }

    /// `a` on `s`, by the fast engine (`FastXen.perform`, `FastXen.storeOutcome`); nil when
    /// the engine cannot hold an entry value of `a`.
    public static func perform(_ a: XenAction, on s: inout FastXenState, engine: FastXen) -> XenAnswer? {
        var store: XenState.StoreOutcome?
        if case .guestStore(let v, let va, let slot, _) = a { store = engine.storeOutcome(s, vcpu: v, va: va, slot: slot) }
        guard let r = engine.perform(a, on: &s) else { return nil }
        return XenAnswer(done: r.done, error: r.error, store: r.error == nil ? store : nil)
    }
}

import MMUFast
import MMUSpec

/// Which hypervisor engine a run uses.
public enum Engines {
    /// Why the fast engine cannot run `spec` (nil: it can).
    public static func fastUnsupported(_ spec: CheckSpec) -> String? {
        guard spec.level == .hypervisor else { return "the fast engine covers the hypervisor model only" }
        do { _ = try FastHypervisorModel(spec: spec); return nil } catch { return error.reason }
    }

    /// The engine that runs (`.spec` or `.fast`) for the spec's choice, or `requested` when
    /// given (a command-line flag), and why `auto` fell back to the spec, if it did.
    public static func resolve(_ spec: CheckSpec, requested: CheckSpec.Engine? = nil) -> (engine: CheckSpec.Engine, fallback: String?) {
        switch requested ?? spec.engine {
        case .spec: return (.spec, nil)
        case .fast: return (.fast, nil)
        case .auto:
            if let why = fastUnsupported(spec) { return (.spec, why) }
            return (.fast, nil)
        }
    }
}

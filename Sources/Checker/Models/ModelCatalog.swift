import MMUSpec

/// What each model level offers, for spec-file validation and `mmucheck list`.
public enum ModelCatalog {
    public static func operationNames(_ level: CheckSpec.Level) -> [String] {
        switch level {
        case .hypervisor: XenAction.operationNames
        case .guest: GuestModelSupport.operationNames
        }
    }

    /// Operations of the spec that the explorer never generates (they exist for tests
    /// and traces): enabling only these would explore nothing.
    public static func unexplored(_ level: CheckSpec.Level) -> Set<String> {
        switch level {
        case .hypervisor: Set(XenOperation.allCases.filter { !$0.explored }.map(\.name))   // XenOperation.explored
        case .guest: ["pgd-pin", "pgd-unpin", "set-phys-to-machine"]   // see GuestState.enabledOperations
        }
    }

    /// What an offered action can come to (`Model.outcomeLabels`): coverage counts and
    /// `expect-reached:` outcomes use these names.
    public static func outcomeLabels(_ level: CheckSpec.Level) -> [String] {
        switch level {
        case .hypervisor: XenAnswer.labels
        case .guest: GuestModel.outcomeNames
        }
    }

    public static func invariants(_ level: CheckSpec.Level) -> [Invariant] {
        level == .hypervisor ? Invariant.hypervisorLevel : Invariant.guestLevel
    }

    /// Extra size rules of the guest model (its boot layout must fit).
    public static func validateGuest(_ config: MMUConfig) throws(ConfigError) {
        try GuestModelSupport.validate(config)
    }
}

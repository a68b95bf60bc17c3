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
        Set(unexploredReasons(level).map(\.operation))
    }

    /// Why the explorer does not offer `op` under `config` although it generates it elsewhere:
    /// the feature it needs is off (nil: nothing stops it).
    public static func featureMissing(_ op: String, level: CheckSpec.Level, config: MMUConfig) -> String? {
        switch level {
        case .hypervisor:
            guard let feature = XenOperation(name: op)?.featureMissing(config) else { return nil }
            return "needs features.\(feature): true (without it Xen refuses every such request)"
        case .guest:   // GuestOp.featureMissing
            guard let feature = GuestOp.featureMissing(op, config) else { return nil }
            return "needs features.\(feature): true (without it the seed never calls it)"
        }
    }

    /// What the explorer generates under `config` when no `operations:` list narrows it: every
    /// operation of the level but those never generated and those whose feature is off.
    public static func generated(_ level: CheckSpec.Level, config: MMUConfig) -> [String] {
        let never = unexplored(level)
        return operationNames(level).filter { !never.contains($0) && featureMissing($0, level: level, config: config) == nil }
    }

    /// The operations a spec chooses: its `operations:` (or `operations-except:`) list, else
    /// every generated one. The coverage report's "enabled by the spec" and NEVER FIRED.
    public static func chosen(_ spec: CheckSpec) -> [String] {
        spec.operations ?? generated(spec.level, config: spec.config)
    }

    /// The steps that finish an operation already begun (guest level: `GuestModel.alwaysOffered`):
    /// offered whatever a spec chooses, and firing only where something began them.
    public static func finishingSteps(_ level: CheckSpec.Level) -> Set<String> {
        level == .guest ? GuestModel.alwaysOffered : []
    }

    /// Every operation the explorer can offer under `spec` (`chosen` and the finishing steps
    /// its features allow): what `expect-reached:` may name. The loader, the coverage report
    /// and `list` read this.
    public static func offered(_ spec: CheckSpec) -> Set<String> {
        Set(chosen(spec)).union(finishingSteps(spec.level).filter { featureMissing($0, level: spec.level, config: spec.config) == nil })
    }

    /// Each operation the explorer never generates, with why (docs/model.md says the same):
    /// `mmucheck list` and the coverage report print these.
    public static func unexploredReasons(_ level: CheckSpec.Level) -> [(operation: String, why: String)] {
        switch level {
        case .hypervisor:   // XenOperation.explored
            XenOperation.allCases.filter { !$0.explored }.map { op in
                (op.name, op == .tlbFlush ? "changes nothing in a model without a TLB (docs/model.md); kept for traces, scenarios and diff"
                                          : "not generated (docs/model.md)")
            }
        case .guest:   // GuestState.enabledOperations
            [("pgd-pin", "Linux pins a pgd only through activate-mm, dup-mmap and mm-pin-all, which the explorer generates"),
             ("pgd-unpin", "Linux unpins a pgd only through exit-mmap-unpin and mm-unpin-all, which the explorer generates"),
             ("set-phys-to-machine", "Linux calls it from the balloon driver, whose steps decrease-reservation and increase-reservation make it")]
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

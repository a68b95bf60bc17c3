import MMUSpec

/// Placeholder until the guest model lands: names and size rules of the guest level.
enum GuestModelSupport {
    static let operationNames: [String] = []
    static func validate(_ config: MMUConfig) throws(ConfigError) {
        throw ConfigError(field: "levels", message: "the guest model is not available yet")
    }
}

extension GuestModelSupport {
    static func explore(_ spec: CheckSpec, options: ExplorerOptions, progress: ((ExplorerStats) -> Void)?) -> ExploreOutcome {
        ExploreOutcome(spec: spec, stats: ExplorerStats(), incomplete: .interrupted, violations: [])
    }
}

extension GuestModelSupport {
    static func replay(_ t: LoadedTrace) throws(SpecError) -> ReplayOutcome {
        throw SpecError(file: t.file, line: 1, key: "#meta.model", message: "the guest model is not available yet")
    }
}

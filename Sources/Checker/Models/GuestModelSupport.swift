import MMUSpec

/// The guest level's names, size rules, exploration and replay.
enum GuestModelSupport {
    static let operationNames: [String] = GuestOp.allNames

    static func validate(_ config: MMUConfig) throws(ConfigError) {
        try GuestState.validate(config: config)
    }

    static func explore(_ spec: CheckSpec, options: ExplorerOptions, mutations: Set<GuestMutation> = [],
                        progress: ((ExplorerStats) -> Void)?) -> ExploreOutcome {
        let model = GuestModel(spec: spec, mutations: mutations)
        let r = Explorer(model: model, options: options).run(progress: progress)
        let traces = r.violations.map {
            TraceRecord(spec: spec, model: model, mutations: mutations.map(\.rawValue).sorted(), violation: $0,
                        describe: { $0.description }, encode: ExploreRun.encodeState)
        }
        return ExploreOutcome(spec: spec, stats: r.stats, incomplete: r.incomplete, violations: traces,
                              engine: "spec", engineNote: "the fast engine covers the hypervisor model only")
    }

    static func replay(_ t: LoadedTrace) throws(SpecError) -> ReplayOutcome {
        let mutations = Set(t.mutations.compactMap(GuestMutation.init(rawValue:)))
        let model = GuestModel(spec: t.spec, mutations: mutations)
        return try Replay.replay(t, model: model, describe: { $0.description }, result: { s, a in
            var copy = s
            return copy.step(a).description   // the explorer's transition (GuestModel.next)
        })
    }
}

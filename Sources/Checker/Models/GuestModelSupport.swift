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
        var outcome = ExploreOutcome(spec: spec, stats: r.stats, incomplete: r.incomplete, violations: traces,
                                     engine: "spec", engineNote: "the fast engine covers the hypervisor model only")
        outcome.symmetry = options.symmetry && model.hasSymmetry
        return outcome
    }

    static func replay(_ t: LoadedTrace, showState: Bool = false, onStep: ((ReplayStep) -> Void)? = nil) throws(SpecError) -> ReplayOutcome {
        let mutations = Set(t.mutations.compactMap(GuestMutation.init(rawValue:)))
        let model = GuestModel(spec: t.spec, mutations: mutations)
        return try Replay.replay(t, model: model, describe: { $0.description }, result: { s, a in
            var copy = s
            return copy.step(a).description   // the explorer's transition (GuestModel.next)
        }, render: showState ? { StateView($0) } : nil, onStep: onStep, extraActions: { s in
            // The operations the explorer never offers (GuestCoverageTests.notOffered) with
            // every argument in range (a pfn one past MAX_DOMAIN_PAGES reaches the seed's BUG).
            var extra: [GuestOp] = []
            for c in s.cpus.indices {
                for mm in s.mms.indices.dropFirst() { extra += [.pgdPin(cpu: c, mm: mm), .pgdUnpin(cpu: c, mm: mm)] }
            }
            for pfn in 0...s.config.pfns {
                for mfn in [P2M.invalidEntry] + Array(0..<s.config.machineFrames) { extra.append(.setPhysToMachine(pfn: pfn, mfn: mfn)) }
            }
            return extra
        })
    }
}

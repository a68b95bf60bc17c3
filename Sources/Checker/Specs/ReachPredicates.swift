import MMUSpec

/// The named state predicates `expect-reached:` may list (TLC's `_POSSIBLE` conditions): a
/// run that never reaches a state satisfying a listed one is `vacuous`. One table per level;
/// `mmucheck list` prints them with their sentences, and docs/specs.md lists them.
///
/// Names are kebab-case and distinct from every operation name of the level (a bare name in
/// `expect-reached:` is an operation or a predicate; `ReachPredicateTests` checks that no name
/// is both).
public enum ReachPredicates {
    public struct Entry: Sendable {
        public let name: String
        /// What a state satisfying it looks like, in one sentence.
        public let meaning: String
        let hypervisor: (@Sendable (XenState) -> Bool)?
        let guest: (@Sendable (GuestState, _ boot: GuestState) -> Bool)?
    }

    /// Xen's state (at the guest level: the Xen half of the guest's state).
    public static let hypervisor: [Entry] = [
        xen("root-pinned", "a frame of the top level's type is pinned (MMUEXT_PIN_L4_TABLE at 4 levels)") { x in
            x.frames.contains { $0.pinned && $0.type == x.rootType }
        },
        xen("root-loaded", "some vCPU's cr3 names a frame (MMUEXT_NEW_BASEPTR accepted)") { x in
            x.cr3.contains { $0 != nil }
        },
        xen("linear-entry", "a present entry of a validated level-L table maps a level-L table: itself or another (a linear page table)") { x in
            x.frames.indices.contains { f in
                guard x.frames[f].validated, let level = x.frames[f].type.level else { return false }
                return x.frames[f].entries.contains { e in
                    e.isPresent && x.isFrame(e.frame) && x.frames[e.frame].type == .pageTable(level)
                }
            }
        },
        xen("table-shared", "a page-table frame has a type count of 2 or more (one table referenced twice)") { x in
            let counts = x.typeCounts()
            return x.frames.indices.contains { x.frames[$0].type.isPageTable && counts[$0] >= 2 }
        },
        xen("l1-maps-table", "a present entry of a validated L1 maps a page-table frame (read-only, as Xen requires)") { x in
            x.frames.contains { fr in
                fr.validated && fr.type == .l1 && fr.entries.contains { e in
                    e.isPresent && x.isFrame(e.frame) && x.frames[e.frame].type.isPageTable
                }
            }
        },
        xen("writable-page", "a frame has the writable type (some writable mapping of it is counted)") { x in
            x.frames.contains { $0.type == .writable }
        },
        xen("m2p-set", "an m2p entry names a pfn (MMU_MACHPHYS_UPDATE accepted, or the guest booted)") { x in
            x.m2p.contains { $0 != nil }
        },
    ]

    /// The guest's state (the hypervisor's predicates also apply, to its Xen half).
    public static let guest: [Entry] = [
        guestEntry("two-mms-live", "two process mms exist and neither has exited (a fork happened)") { s, _ in
            s.mms.indices.dropFirst().filter { s.mms[$0].map { !$0.exited } ?? false }.count >= 2
        },
        guestEntry("mm-pinned", "a process mm's pgd is pinned (PagePinned: xen_pgd_pin ran)") { s, _ in
            s.mms.indices.dropFirst().contains { i in s.mms[i].map { s.pagePinned.contains($0.pgd) } ?? false }
        },
        guestEntry("lazy-mmu-queued", "a CPU is in lazy MMU mode with a multicall entry queued (a batched PTE update)") { s, _ in
            s.cpus.contains { $0.lazyMode == .mmu && !$0.mc.entries.isEmpty }
        },
        guestEntry("lazy-cpu-queued", "a CPU is in a context switch (lazy CPU mode) with a multicall entry queued") { s, _ in
            s.cpus.contains { $0.lazyMode == .cpu && !$0.mc.entries.isEmpty }
        },
        guestEntry("multicall-in-flight", "a CPU has issued a multicall Xen has not finished (other CPUs run between its entries)") { s, _ in
            s.cpus.contains { !$0.inFlight.isEmpty }
        },
        guestEntry("cross-call-pending", "a cross call was sent to a CPU and not yet handled (drop_other_mm_ref)") { s, _ in
            s.cpus.contains { !$0.pendingIPIs.isEmpty }
        },
        guestEntry("lazy-tlb-borrow", "a CPU runs a kernel thread on a borrowed process mm (lazy TLB)") { s, _ in
            s.cpus.contains { $0.currentMM == nil && $0.activeMM != GuestState.initMM }
        },
        guestEntry("mm-exited", "a process mm has run exit_mmap and is not freed yet") { s, _ in
            s.mms.dropFirst().contains { $0?.exited ?? false }
        },
        guestEntry("suspended", "xen_mm_pin_all has run for a save and the guest is not resumed yet") { s, _ in
            s.suspended
        },
        guestEntry("p2m-changed", "the p2m differs from the booted guest's (the balloon gave a frame back or took one)") { s, boot in
            s.p2m != boot.p2m
        },
    ]

    /// The predicates of `level`.
    public static func entries(_ level: CheckSpec.Level) -> [Entry] {
        level == .hypervisor ? hypervisor : guest + hypervisor
    }

    /// The predicate `name` of `level`, as a witness over the hypervisor's states.
    static func xenWitness(_ name: String) -> NamedPredicate<XenState>? {
        guard let e = hypervisor.first(where: { $0.name == name }), let p = e.hypervisor else { return nil }
        return NamedPredicate(name, p)
    }

    /// The predicate `name` as a witness over the guest's states (`boot`: the initial state).
    static func guestWitness(_ name: String, boot: GuestState) -> NamedPredicate<GuestState>? {
        if let e = guest.first(where: { $0.name == name }), let p = e.guest { return NamedPredicate(name) { p($0, boot) } }
        if let e = hypervisor.first(where: { $0.name == name }), let p = e.hypervisor { return NamedPredicate(name) { p($0.xen) } }
        return nil
    }

    static func xen(_ name: String, _ meaning: String, _ p: @escaping @Sendable (XenState) -> Bool) -> Entry {
        Entry(name: name, meaning: meaning, hypervisor: p, guest: nil)
    }
    static func guestEntry(_ name: String, _ meaning: String, _ p: @escaping @Sendable (GuestState, GuestState) -> Bool) -> Entry {
        Entry(name: name, meaning: meaning, hypervisor: nil, guest: p)
    }
}

/// The named invariants, as docs/model.md states them: "Hypervisor invariants
/// (`XenState.check(_:)`)" for the first four, and the guest's "Invariants (`check(_:)`)"
/// for the rest. The hypervisor-level ones are checked by `XenState.check(_:)`; the
/// guest-level ones by the guest model (`GuestState.check(_:)`).
public enum Invariant: String, CaseIterable, Hashable, Sendable, Codable {
    case noWritablePagetable = "no-writable-pagetable"
    case noPagetableFromWritable = "no-pagetable-from-writable"
    case validatedEntries = "validated-entries"
    case countsMatch = "counts-match"
    case p2mRoundtrip = "p2m-roundtrip"
    case walkLimit = "walk-limit"
    case noFailedHypercall = "no-failed-hypercall"
    case pinnedTablesReadOnly = "pinned-tables-read-only"
    case noStaleCR3 = "no-stale-cr3"
    case pagePinnedAgrees = "page-pinned-agrees"

    /// The invariants that speak about the hypervisor state alone (checked by `XenState.check`).
    public static let hypervisorLevel: [Invariant] = [
        .noWritablePagetable, .noPagetableFromWritable, .validatedEntries, .countsMatch,
    ]
    /// Every invariant (the guest model checks these; it delegates the first four to `XenState`).
    public static let guestLevel: [Invariant] = Invariant.allCases
}

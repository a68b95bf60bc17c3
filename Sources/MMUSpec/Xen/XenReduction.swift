/// A sound reduction the explorer may apply besides symmetry: forgetting stale types.
///
/// Xen keeps a frame's type in `page_info` after its type count drops to zero; the model
/// does the same (`Frame.type` survives devalidation). Nothing reads that stale type: every
/// rule and every invariant looks at a frame's type only together with `validated`
/// (`get_page_type` overwrites the type of a frame that is not validated, linear entries
/// need a validated target, roots and walks need validated or pinned tables, and without
/// mutations no reference demands the type of a frame that is not validated, so derived
/// type counts are zero whatever the stale type). Two states that differ only in the
/// types of frames that are not validated therefore answer every action alike and satisfy
/// the same invariants: they are bisimilar, and the explorer may keep one of them.
/// `StaleTypeReductionTests` checks the claim on every reachable state of small specs.
/// Not sound under the test-only mutations (a writable entry accepted without its type
/// reference can make a stale "writable" type count), so runs with mutations keep types.
extension XenState {
    /// The state with the type of every frame that is not validated reset to `none`.
    public func forgettingStaleTypes() -> XenState {
        var out = self
        for f in out.frames.indices where !out.frames[f].validated { out.frames[f].type = .none }
        return out
    }
}

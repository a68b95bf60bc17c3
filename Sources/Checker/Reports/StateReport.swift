import MMUSpec

/// Renders a model state for people (`replay --show-state`): what a step left behind, in the
/// words of Xen and the seed. One line per frame, per vCPU and per guest CPU; nothing here
/// is read back.
public enum StateReport {
    /// Xen's state: each frame with owner, type, type and general counts, validated, pinned and
    /// its entries (mfn format, `-` for an empty slot); then each vCPU's cr3 and the m2p
    /// entries that are set.
    public static func lines(_ x: XenState) -> [String] {
        let types = x.typeCounts(), generals = x.generalCounts()
        var out: [String] = []
        for (m, f) in x.frames.enumerated() {
            var flags: [String] = []
            if f.validated { flags.append("validated") }
            if f.pinned { flags.append("pinned") }
            let entries = f.entries.map { $0 == .none ? "-" : $0.description }.joined(separator: " ")
            out.append("frame \(m): \(f.owner == .xen ? "xen" : "guest"), type \(f.type), type count \(types[m]), "
                       + "general count \(generals[m])" + (flags.isEmpty ? "" : ", " + flags.joined(separator: ", "))
                       + ", entries [\(entries)]")
        }
        out.append("cr3: " + x.cr3.enumerated().map { "v\($0.offset) \($0.element.map(String.init) ?? "none")" }.joined(separator: ", "))
        let m2p = x.m2p.enumerated().compactMap { m, p in p.map { "\(m)->\($0)" } }
        out.append("m2p: " + (m2p.isEmpty ? "none set" : m2p.joined(separator: " ")))
        return out
    }

    /// The guest's state: Xen's lines, then the p2m, PagePinned / SavePinned, the mms, and per
    /// CPU its mm, lazy mode, `xen_cr3` / `xen_current_cr3`, queued and in-flight multicall
    /// entries, locks and cross calls.
    public static func lines(_ g: GuestState) -> [String] {
        var out = lines(g.xen)
        let p2m = (0..<g.config.pfns).map { p -> String in
            let m = g.pfnToMFN(p)
            return "\(p)->" + (m == P2M.invalidEntry ? "INVALID" : String(m))
        }
        out.append("p2m: " + p2m.joined(separator: " "))
        out.append("PagePinned: " + list(g.pagePinned) + "; SavePinned: " + list(g.savePinned)
                   + (g.suspended ? "; suspended (stop_machine)" : ""))
        for (i, mm) in g.mms.enumerated() {
            guard let mm else { out.append("mm \(i): free"); continue }
            let tables = mm.tablePages.keys.sorted().map { "\($0) \(mm.tablePages[$0]!.rawValue)" }.joined(separator: ", ")
            out.append("mm \(i)\(i == GuestState.initMM ? " (init_mm)" : ""): pgd \(mm.pgd), cpu_vm_mask \(list(mm.cpuVMMask))"
                       + (mm.exited ? ", exited" : "") + ", tables [\(tables)]")
        }
        for (c, cpu) in g.cpus.enumerated() { out.append("cpu \(c): " + parts(cpu).joined(separator: ", ")) }
        if let bug = g.bug { out.append("BUG: \(bug)") }
        return out
    }

    /// One guest CPU: its mm, lazy mode, cr3s, queued and in-flight multicall entries, locks
    /// and cross calls (also the trace viewer's CPU panel).
    static func parts(_ cpu: GuestCPU) -> [String] {
        var parts = ["mm \(cpu.currentMM.map(String.init) ?? "none (kernel thread)")", "active mm \(cpu.activeMM)"
                     + (cpu.tlbLazy ? " (lazy TLB)" : ""), "lazy \(cpu.lazyMode)",
                     "xen_cr3 \(cpu.xenCR3)", "xen_current_cr3 \(cpu.xenCurrentCR3)"]
        if !cpu.mc.entries.isEmpty { parts.append("queued [" + cpu.mc.entries.map(\.description).joined(separator: "; ") + "]") }
        for b in cpu.inFlight {
            parts.append("in flight (\(b.done) run) [" + b.entries.map(\.description).joined(separator: "; ") + "]")
        }
        if !cpu.heldPTELocks.isEmpty { parts.append("lock_pte held: \(list(cpu.heldPTELocks))") }
        if let mm = cpu.lazyMM { parts.append("PTE lock of page \(cpu.lazyPTEPage.map(String.init) ?? "?") in mm \(mm)") }
        if !cpu.heldMMLocks.isEmpty { parts.append("page_table_lock of mms \(list(cpu.heldMMLocks))") }
        if !cpu.pendingIPIs.isEmpty { parts.append("cross calls pending: " + cpu.pendingIPIs.map(\.description).joined(separator: "; ")) }
        if !cpu.awaiting.isEmpty { parts.append("awaiting cpus \(list(cpu.awaiting))") }
        if let r = cpu.resume { parts.append("then \(r)") }
        return parts
    }

    static func list(_ s: Set<Int>) -> String { s.isEmpty ? "{}" : "{" + s.sorted().map(String.init).joined(separator: ", ") + "}" }
}

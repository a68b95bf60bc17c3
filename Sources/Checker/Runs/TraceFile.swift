import Foundation
import MMUSpec

/// The trace format (ITF-like; see docs/traces.md): metadata, the action list
/// with arguments, and the states, initial first.
public enum TraceFile {
    public static let formatName = "mmucheck-trace"
    public static let formatVersion = 1

    public static func object(_ t: TraceRecord) -> [String: Any] {
        let configData = (try? JSONEncoder().encode(t.spec.config)).flatMap { try? JSONSerialization.jsonObject(with: $0) }
        let meta: [String: Any] = [
            "format": formatName, "version": formatVersion, "tool": "mmucheck \(MMUCheckInfo.version)",
            "spec": t.spec.file, "specName": t.spec.name, "model": t.spec.level.rawValue,
            // Breadth-first search uses no randomness: there is no seed to record.
            "seed": NSNull(),
            "config": configData ?? NSNull(),
            "operations": t.spec.operations ?? NSNull(),
            "entryFlags": t.spec.entryFlags.map { f in PTEFlags.named.filter { f.contains($0.1) }.map(\.0) },
            "mutations": t.mutations,
            "invariant": t.invariant, "message": t.message,
        ]
        let actions: [[String: Any]] = t.actions.enumerated().map { i, a in
            ["step": i + 1, "action": a, "index": t.actionIndices[i]]
        }
        let states: [[String: Any]] = t.states.enumerated().map { i, s in ["#meta": ["step": i], "state": s] }
        return ["#meta": meta, "actions": actions, "states": states]
    }

    public static func write(_ t: TraceRecord, to path: String) throws {
        try OutputFile.write(jsonText(object(t)) + "\n", to: path)
    }
}

/// Facts about this build of the tool.
public enum MMUCheckInfo {
    public static let version = "0.1.0"
}

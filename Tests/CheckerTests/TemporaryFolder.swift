import Foundation

/// A fresh folder under the system's temporary directory, removed when `body` returns:
/// tests that write files (specs, traces, pages, browser profiles) never share or leave one.
func withTemporaryFolder<T>(_ label: String, _ body: (URL) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmucheck-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

import Foundation

/// The paths `check`, `scenario` and the loaders take: files, or directories of `.yaml` files.
enum InputPaths {
    /// Whether `path` is a directory; a path that does not exist is bad input.
    static func isDirectory(_ path: String) throws(SpecError) -> Bool {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw SpecError(file: path, line: 0, key: "path", message: "no such file or directory")
        }
        return isDir.boolValue
    }

    /// The `.yaml` / `.yml` files directly in `dir`, sorted, as paths.
    static func yamlFiles(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            .map { (dir as NSString).appendingPathComponent($0) }
    }
}

import Foundation

/// Finds scenario files: the files named, and the `.yaml` / `.yml` files of the directories
/// named, sorted by path (as `SpecLoader.load(paths:)` finds specs).
public enum ScenarioFiles {
    /// Every malformed path or file is reported (`SpecErrors`), not only the first.
    public static func load(paths: [String]) throws(SpecErrors) -> [Scenario] {
        var errors: [SpecError] = [], files: [String] = []
        for p in paths {
            do { files += try scenarioFiles(p) } catch { errors.append(error) }
        }
        var out: [Scenario] = []
        do { out = try SpecErrors.collect(files) { (f: String) throws(SpecError) in try ScenarioLoader.load(file: f) } } catch { errors += error.all }
        if !errors.isEmpty { throw SpecErrors(all: errors) }
        return out
    }

    /// The scenario files `p` names: itself, or a directory's scenarios.
    static func scenarioFiles(_ p: String) throws(SpecError) -> [String] {
        guard try InputPaths.isDirectory(p) else { return [p] }
        // The directory's scenarios (files with steps:; specs beside them are skipped), and
        // those of its scenarios/ folder, as `check` finds them.
        var found = InputPaths.yamlFiles(in: p).filter(ScenarioLoader.isScenario(file:))
        if let beside = beside(specDirectory: p) { found += InputPaths.yamlFiles(in: beside) }
        if found.isEmpty { throw SpecError(file: p, line: 0, key: "path", message: "no scenario files (.yaml files with steps:) in this directory or its scenarios/ folder") }
        return found
    }

    /// The scenarios `mmucheck check DIR` runs besides DIR's specs: DIR/scenarios/*.yaml.
    public static func beside(specDirectory dir: String) -> String? {
        let s = (dir as NSString).appendingPathComponent("scenarios")
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: s, isDirectory: &isDir) && isDir.boolValue ? s : nil
    }
}

/// What `mmucheck check` runs: the specs and the scenarios of the paths given. A directory
/// gives its `.yaml` files (a file with `steps:` is a scenario, any other a spec) and the
/// scenarios of its `scenarios/` folder; a file is a spec or a scenario by the same test.
public enum CheckInputs {
    /// Every malformed path, spec and scenario is reported (`SpecErrors`), not only the first.
    public static func load(paths: [String]) throws(SpecErrors) -> (specs: [CheckSpec], scenarios: [Scenario]) {
        var specFiles: [String] = [], scenarioFiles: [String] = []
        func classify(_ f: String) {
            if ScenarioLoader.isScenario(file: f) { scenarioFiles.append(f) } else { specFiles.append(f) }
        }
        var errors: [SpecError] = []
        for p in paths {
            do {
                guard try InputPaths.isDirectory(p) else { classify(p); continue }
            } catch { errors.append(error); continue }
            let found = InputPaths.yamlFiles(in: p)
            let beside = ScenarioFiles.beside(specDirectory: p)
            if found.isEmpty && beside == nil {
                errors.append(SpecError(file: p, line: 0, key: "path", message: "no .yaml spec or scenario files in this directory"))
                continue
            }
            found.forEach(classify)
            if let beside { scenarioFiles += InputPaths.yamlFiles(in: beside) }
        }
        var specs: [CheckSpec] = [], scenarios: [Scenario] = []
        do { specs = try SpecErrors.collect(specFiles) { (f: String) throws(SpecError) in try SpecLoader.load(file: f) } } catch { errors += error.all }
        do { scenarios = try SpecErrors.collect(scenarioFiles) { (f: String) throws(SpecError) in try ScenarioLoader.load(file: f) } } catch { errors += error.all }
        if !errors.isEmpty { throw SpecErrors(all: errors) }
        return (specs, scenarios)
    }
}

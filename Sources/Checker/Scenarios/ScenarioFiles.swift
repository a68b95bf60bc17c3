import Foundation

/// Finds scenario files: the files named, and the `.yaml` / `.yml` files of the directories
/// named, sorted by path (as `SpecLoader.load(paths:)` finds specs).
public enum ScenarioFiles {
    public static func load(paths: [String]) throws(SpecError) -> [Scenario] {
        var files: [String] = []
        for p in paths {
            if try InputPaths.isDirectory(p) {
                // The directory's scenarios (files with steps:; specs beside them are skipped),
                // and those of its scenarios/ folder, as `check` finds them.
                var found = InputPaths.yamlFiles(in: p).filter(ScenarioLoader.isScenario(file:))
                if let beside = beside(specDirectory: p) { found += InputPaths.yamlFiles(in: beside) }
                if found.isEmpty { throw SpecError(file: p, line: 0, key: "path", message: "no scenario files (.yaml files with steps:) in this directory or its scenarios/ folder") }
                files += found
            } else {
                files.append(p)
            }
        }
        var out: [Scenario] = []
        for f in files { out.append(try ScenarioLoader.load(file: f)) }
        return out
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
    public static func load(paths: [String]) throws(SpecError) -> (specs: [CheckSpec], scenarios: [Scenario]) {
        var specFiles: [String] = [], scenarioFiles: [String] = []
        func classify(_ f: String) {
            if ScenarioLoader.isScenario(file: f) { scenarioFiles.append(f) } else { specFiles.append(f) }
        }
        for p in paths {
            guard try InputPaths.isDirectory(p) else { classify(p); continue }
            let found = InputPaths.yamlFiles(in: p)
            let beside = ScenarioFiles.beside(specDirectory: p)
            if found.isEmpty && beside == nil {
                throw SpecError(file: p, line: 0, key: "path", message: "no .yaml spec or scenario files in this directory")
            }
            found.forEach(classify)
            if let beside { scenarioFiles += InputPaths.yamlFiles(in: beside) }
        }
        var specs: [CheckSpec] = []
        for f in specFiles { specs.append(try SpecLoader.load(file: f)) }
        var scenarios: [Scenario] = []
        for f in scenarioFiles { scenarios.append(try ScenarioLoader.load(file: f)) }
        return (specs, scenarios)
    }
}

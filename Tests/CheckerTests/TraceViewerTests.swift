import Foundation
import Testing
@testable import Checker

/// Issue #15, items 3 and 4: the HTML trace viewer, rendered in a real browser (Debian's
/// headless Chromium, installed by scripts/setup.sh) and checked through its DOM.
@Suite struct TraceViewerTests {
    static let golden = CommandLineTests.root + "/Tests/CheckerTests/Golden/"
    /// The violating trace of specs/hypervisor-small with `allow-writable-l1-to-pagetable`.
    static let trace = golden + "trace-allow-writable-l1-to-pagetable-spec.json"

    static func page(_ file: String) throws -> String {
        try TraceViewer.page(forTraceFile: file)
    }

    @Test("the page is self-contained: no network, no external script, style or image; the data cannot end its script element")
    func selfContained() throws {
        for file in [Self.trace, Self.golden + "trace-skip-drop-mm-ref.json"] {
            let html = try Self.page(file)
            for banned in ["<link", "src=", "href=", "@import", "url(http", "fetch(", "XMLHttpRequest", "<iframe"] {
                #expect(!html.contains(banned), "\(banned) in the page of \(file)")
            }
            // The only URL is the SVG namespace name (never fetched).
            let urls = html.components(separatedBy: "http").count - 1
            #expect(urls == html.components(separatedBy: "http://www.w3.org/2000/svg").count - 1)
            let data = try #require(html.range(of: "id=\"trace-data\">")).upperBound
            let end = try #require(html.range(of: "</script>", range: data..<html.endIndex)).lowerBound
            #expect(!html[data..<end].contains("<"))
        }
    }

    /// Chromium's command, or nil.
    static var chromium: String? {
        for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"] where FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        return nil
    }

    /// What the injected script reads from the rendered page, as JSON in `#test-results`.
    static let probe = #"""
    <script>
    (function () {
      const r = {}, q = s => document.querySelector(s), drawing = () => q("#drawing").innerHTML;
      const items = document.querySelectorAll("#steps li.step");
      r.listed = Array.from(items).map(li => li.textContent);
      r.selectedAtLoad = q("li.step.selected").dataset.step;
      r.violationShown = !q("#violation").hidden;
      r.violation = q("#violation").textContent;
      r.brokenInvariants = Array.from(document.querySelectorAll("#violation .broken-invariant")).map(d => d.dataset.invariant);
      r.framesAtLoad = document.querySelectorAll("#drawing g.frame").length;
      const last = drawing();
      items[0].click();
      r.selectedAfterClick = q("li.step.selected").dataset.step;
      r.clickChangedDrawing = drawing() !== last;
      r.violationShownAtStep0 = !q("#violation").hidden;
      r.edgesAtStep0 = document.querySelectorAll("#drawing path.edge").length;
      const first = drawing();
      document.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
      r.selectedAfterDown = q("li.step.selected").dataset.step;
      r.downChangedDrawing = drawing() !== first;
      r.edgesAtStep1 = document.querySelectorAll("#drawing path.edge").length;
      r.changedFramesAtStep1 = Array.from(document.querySelectorAll("#drawing g.frame.changed")).map(g => g.dataset.mfn);
      document.dispatchEvent(new KeyboardEvent("keydown", { key: "End", bubbles: true }));
      r.selectedAfterEnd = q("li.step.selected").dataset.step;
      const pre = document.createElement("pre");
      pre.id = "test-results";
      pre.textContent = JSON.stringify(r);
      document.body.append(pre);
    })();
    </script>
    """#

    /// Renders `html` with the probe in headless Chromium and returns what the probe read.
    static func render(_ html: String) throws -> [String: Any] {
        let chromium = try #require(Self.chromium, "Chromium is missing: run scripts/setup.sh (make test does), or apt-get install chromium")
        return try withTemporaryFolder("viewer") { dir in
            let file = dir.appendingPathComponent("trace.html")
            try html.replacingOccurrences(of: "</body>", with: Self.probe + "\n</body>").write(to: file, atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: chromium)
            p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                           "--user-data-dir=" + dir.appendingPathComponent("profile").path,
                           "--virtual-time-budget=5000", "--dump-dom", file.absoluteString]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            // A hung browser fails the test instead of hanging the suite.
            let deadline = Date().addingTimeInterval(120)
            let box = Box(), group = DispatchGroup()
            group.enter()
            DispatchQueue.global().async { box.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
            while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if p.isRunning { p.terminate(); Issue.record("Chromium did not finish within 120 s") }
            p.waitUntilExit()
            group.wait()
            let dom = String(decoding: box.data, as: UTF8.self)
            let start = try #require(dom.range(of: "<pre id=\"test-results\">"), "no probe results in the DOM:\n\(dom.prefix(2000))").upperBound
            let end = try #require(dom.range(of: "</pre>", range: start..<dom.endIndex)).lowerBound
            let json = dom[start..<end].replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&amp;", with: "&")
            return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        }
    }

    final class Box: @unchecked Sendable { var data = Data() }

    /// What is wrong with the rendered page of `trace` (empty: nothing).
    static func problems(_ r: [String: Any], trace: LoadedTrace) -> [String] {
        var out: [String] = []
        let last = String(trace.steps.count)
        let listed = r["listed"] as? [String] ?? []
        if listed.count != trace.steps.count + 1 { out.append("\(listed.count) steps listed, the trace has \(trace.steps.count) and the initial state") }
        for (i, s) in trace.steps.enumerated() where !(listed.indices.contains(i + 1) && listed[i + 1].contains(s.action)) {
            out.append("step \(i + 1) (\(s.action)) is not listed")
        }
        if r["selectedAtLoad"] as? String != last { out.append("the page does not open on the last step") }
        if r["violationShown"] as? Bool != true { out.append("the last step does not show the violation") }
        if let inv = trace.invariant, !(r["brokenInvariants"] as? [String] ?? []).contains(inv) { out.append("\(inv) is not shown as broken") }
        if r["selectedAfterClick"] as? String != "0" || r["clickChangedDrawing"] as? Bool != true { out.append("clicking step 0 did not redraw") }
        if r["violationShownAtStep0"] as? Bool != false { out.append("the initial state shows a violation") }
        if r["selectedAfterDown"] as? String != "1" || r["downChangedDrawing"] as? Bool != true { out.append("the down arrow did not move to step 1 and redraw") }
        if r["selectedAfterEnd"] as? String != last { out.append("End did not move to the last step") }
        return out
    }

    @Test("in headless Chromium: every step listed, the last shows the broken invariant, selecting a step redraws; a page that does not redraw is caught")
    func rendersInABrowser() throws {
        let trace = try TraceReader.load(file: Self.trace)
        let html = try Self.page(Self.trace)
        let r = try Self.render(html)
        #expect(Self.problems(r, trace: trace).isEmpty, "\(Self.problems(r, trace: trace)) in \(r)")
        // The sentence naming the conjunct, and the drawing: 2 frames; the initial state has no
        // entries; step 1 (mmu-update 0[0] := 0:present|rw) adds one arrow and changes frame 0.
        #expect((r["violation"] as? String ?? "").contains("entry 0[0] = 0:present|rw of the L1 table 0 is writable"))
        #expect(r["framesAtLoad"] as? Int == 2 && r["edgesAtStep0"] as? Int == 0 && r["edgesAtStep1"] as? Int == 1)
        #expect(r["changedFramesAtStep1"] as? [String] == ["0"])
        // The wrong twin: a viewer whose drawing never follows the selection.
        let frozen = html.replacingOccurrences(of: "function draw(i) {", with: "function draw(i) { if (document.getElementById(\"drawing\").childNodes.length) return;")
        #expect(frozen != html)
        #expect(!Self.problems(try Self.render(frozen), trace: trace).isEmpty)
    }

    @Test("a guest trace: each CPU's mm, lazy mode and multicall queue are shown")
    func guestTrace() throws {
        let file = Self.golden + "trace-skip-drop-mm-ref.json"
        let trace = try TraceReader.load(file: file)
        let r = try Self.render(try Self.page(file))
        #expect(Self.problems(r, trace: trace).isEmpty, "\(Self.problems(r, trace: trace))")
        let replay = try Replay.run(trace, showState: true)
        let cpus = try #require(replay.steps.last?.view?.cpus)
        #expect(cpus.count == 2 && cpus.allSatisfy { $0.lazyMode.hasPrefix("PARAVIRT_LAZY") })
        #expect(replay.steps.contains { $0.view?.cpus.contains { !$0.inFlight.isEmpty || !$0.queued.isEmpty } ?? false })
    }

    @Test("replay --html and explore --html write the page; a bad --html path is exit 2 and touches nothing")
    func commandLine() throws {
        let cli = CommandLineTests()
        try withTemporaryFolder("html") { dir in
            let out = dir.appendingPathComponent("t.html").path
            let r = try cli.mmucheck(["replay", Self.trace, "--html", out])
            #expect(r.code == 1 && r.out.contains("wrote \(out)"))
            #expect(try String(contentsOfFile: out, encoding: .utf8) == (try Self.page(Self.trace)))
            #expect(try cli.mmucheck(["replay", Self.trace, "--html", dir.path]).code == 2)
            // The page never replaces the trace it is drawn from, under any name.
            let copy = dir.appendingPathComponent("c.json").path, link = dir.appendingPathComponent("l.json").path
            try FileManager.default.copyItem(atPath: Self.trace, toPath: copy)
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: copy)
            let original = try String(contentsOfFile: copy, encoding: .utf8)
            for target in [copy, link, dir.path + "/./c.json"] {
                let r = try cli.mmucheck(["replay", copy, "--html", target])
                #expect(r.code == 2 && r.err.contains("writing it would destroy it"), "\(target): \(r.err)")
            }
            #expect(try String(contentsOfFile: copy, encoding: .utf8) == original)
            let noTrace = try cli.mmucheck(["explore", "specs/quick/hypervisor-tiny.yaml", "--html", "--quiet"])
            #expect(noTrace.code == 2 && noTrace.err.contains("--trace-out"))
        }
    }
}

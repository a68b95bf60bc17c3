import Foundation

/// The HTML trace viewer (`replay TRACE --html FILE`, `explore --html`): one self-contained
/// page (no network, no external script or style) with the replayed trace as data and a small
/// script that draws it. A step list with each action and its result; for the selected step
/// the frames as boxes (type, counts, validated, pinned, owner, m2p) with their entries as
/// arrows labelled by flags, each vCPU's cr3, at the guest level each CPU's mm, lazy mode and
/// queued multicall entries; what the step changed highlighted; the broken invariant with
/// its sentence. Arrow keys, j/k, Home and End move between steps; `#step=N` in the address
/// selects step N.
public enum TraceViewer {
    /// One step as the page receives it.
    struct Step: Encodable {
        let step: Int
        let action: String
        let result: String
        let broken: [Broken]
        let view: StateView
    }
    struct Broken: Encodable {
        let invariant: String
        let message: String
    }
    struct Page: Encodable {
        let specName: String
        let spec: String
        let model: String
        let engine: String
        let mutations: [String]
        let invariant: String?
        let steps: [Step]
    }

    /// The page for a replay run with `showState` (every step has its view); nil when a step
    /// has none.
    public static func html(_ r: ReplayOutcome) -> String? {
        guard let initial = r.initialView else { return nil }
        var steps = [Step(step: 0, action: "initial state", result: "",
                          broken: r.brokenInitially.map { Broken(invariant: $0.invariant, message: $0.message) }, view: initial)]
        for s in r.steps {
            guard let v = s.view else { return nil }
            steps.append(Step(step: s.step, action: s.action, result: s.result,
                              broken: s.broken.map { Broken(invariant: $0.invariant, message: $0.message) }, view: v))
        }
        let page = Page(specName: r.trace.spec.name, spec: r.trace.spec.file, model: r.trace.spec.level.rawValue, engine: r.engine,
                        mutations: r.trace.mutations, invariant: r.trace.invariant, steps: steps)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(page), let json = String(data: data, encoding: .utf8) else { return nil }
        // Inside <script>, "</script" or "<!--" would end or confuse the element: every "<" is
        // written as its JSON escape (it only occurs inside strings).
        let safe = json.replacingOccurrences(of: "<", with: "\\u003c")
        let title = "mmucheck trace: \(r.trace.spec.name)" + (r.trace.invariant.map { ", \($0)" } ?? "")
        return template.replacingOccurrences(of: "@TITLE@", with: escape(title))
            .replacingOccurrences(of: "@DATA@", with: safe)
    }

    /// The page for a trace file: read (`TraceReader`), replayed on the spec with every
    /// state kept, drawn.
    public static func page(forTraceFile file: String) throws(SpecError) -> String {
        let r = try Replay.run(try TraceReader.load(file: file), showState: true)
        guard let page = html(r) else {
            throw SpecError(file: file, line: 0, key: "actions", message: "the replay was stopped before its last step")
        }
        return page
    }

    /// Where `explore --html` writes the page of `--trace-out FILE`: beside it, `.json`
    /// replaced by (or, without it, followed by) `.html`.
    public static func path(besideTrace file: String) -> String {
        (file.hasSuffix(".json") ? String(file.dropLast(5)) : file) + ".html"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let template = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>@TITLE@</title>
<style>
  body { font: 13px/1.4 system-ui, sans-serif; margin: 0; color: #1d232a; background: #f6f7f9; }
  header { padding: 8px 14px; background: #24313f; color: #fff; }
  header b { font-weight: 600; }
  #main { display: flex; align-items: flex-start; }
  nav { width: 330px; flex: none; max-height: calc(100vh - 40px); overflow: auto; border-right: 1px solid #d5d9de; background: #fff; }
  nav ol { list-style: none; margin: 0; padding: 0; }
  li.step { padding: 5px 10px; border-bottom: 1px solid #eef0f2; cursor: pointer; font-family: ui-monospace, monospace; font-size: 12px; }
  li.step .n { display: inline-block; width: 2.2em; color: #778; }
  li.step .res { color: #2c6e2f; }
  li.step .res.err { color: #a33; }
  li.step.selected { background: #dbe8ff; }
  li.step.broken { border-left: 4px solid #c62828; }
  nav .help { color: #667; padding: 6px 10px; margin: 0; }
  section { flex: 1; padding: 10px 16px; min-width: 0; }
  #step-title { font-family: ui-monospace, monospace; font-size: 14px; margin-bottom: 6px; }
  #violation { background: #fdecea; border: 1px solid #e57373; padding: 6px 10px; margin: 6px 0; }
  #violation b { color: #b71c1c; }
  svg { background: #fff; border: 1px solid #d5d9de; }
  .frame rect.box { fill: #fff; stroke: #5b6b7b; stroke-width: 1.2; }
  .frame.table rect.box { fill: #eef5ff; }
  .frame.pinned rect.box { stroke-width: 2.4; }
  .frame.changed rect.box { fill: #fff4d6; stroke: #e0a000; stroke-width: 2.4; }
  .frame text { font: 11px ui-monospace, monospace; fill: #1d232a; }
  .frame text.head { font-weight: 600; }
  .frame text.changed { fill: #b26a00; font-weight: 600; }
  .frame text.role { fill: #5a3d8a; }
  path.edge { fill: none; stroke: #37474f; stroke-width: 1.3; }
  path.edge.rw { stroke: #c62828; }
  path.edge.changed { stroke-width: 2.6; }
  text.label { font: 10px ui-monospace, monospace; fill: #37474f; }
  text.label.rw { fill: #c62828; }
  .vcpu rect { fill: #e8f5e9; stroke: #2e7d32; }
  .vcpu.changed rect { fill: #fff4d6; stroke: #e0a000; stroke-width: 2.4; }
  .vcpu text { font: 11px ui-monospace, monospace; }
  path.cr3 { fill: none; stroke: #2e7d32; stroke-width: 1.6; stroke-dasharray: 4 2; }
  table { border-collapse: collapse; margin: 8px 0; background: #fff; }
  td, th { border: 1px solid #d5d9de; padding: 3px 7px; vertical-align: top; white-space: pre-line; font: 12px ui-monospace, monospace; text-align: left; }
  td.changed { background: #fff4d6; }
  #guest div { font: 12px ui-monospace, monospace; }
  #guest div.changed { background: #fff4d6; }
  pre { background: #fff; border: 1px solid #d5d9de; padding: 6px; overflow: auto; }
</style>
</head>
<body>
<header></header>
<div id="main">
  <nav><ol id="steps"></ol><p class="help">&uarr;/&darr; (or j/k): previous/next step &middot; Home/End &middot; click a step<br>Arrows: entries (P present, RW writable in red, U user, A accessed, D dirty, G global, NX); dashed green: each vCPU's cr3; yellow: what the step changed.</p></nav>
  <section>
    <div id="step-title"></div>
    <div id="violation" hidden></div>
    <svg id="drawing" xmlns="http://www.w3.org/2000/svg"></svg>
    <div id="cpus"></div>
    <div id="guest"></div>
    <details><summary>the state as text (replay --show-state)</summary><pre id="lines"></pre></details>
  </section>
</div>
<script type="application/json" id="trace-data">@DATA@</script>
<script>
"use strict";
const data = JSON.parse(document.getElementById("trace-data").textContent);
const NS = "http://www.w3.org/2000/svg";
let current = -1;
/// Entry flags as labels: _PAGE_PRESENT P, _PAGE_RW RW, _PAGE_USER U, _PAGE_ACCESSED A,
/// _PAGE_DIRTY D, _PAGE_PSE PSE, _PAGE_GLOBAL G, _PAGE_AVAIL0 AVL, _PAGE_NX NX.
const FLAG = { present: "P", rw: "RW", user: "U", accessed: "A", dirty: "D", pse: "PSE", global: "G", avail: "AVL", nx: "NX" };

function el(tag, attrs, text) {
  const e = tag.startsWith("svg:") ? document.createElementNS(NS, tag.slice(4)) : document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}

function header() {
  const h = document.querySelector("header");
  h.append(el("b", {}, "mmucheck trace"), " \u2014 " + data.specName + " (" + data.spec + "), " + data.model + " model, " + data.engine + " engine");
  if (data.mutations.length) h.append(", mutations: " + data.mutations.join(", "));
  if (data.invariant) h.append(" \u2014 breaks " + data.invariant);
}

function stepList() {
  const ol = document.getElementById("steps");
  data.steps.forEach((s, i) => {
    const li = el("li", { class: "step" + (s.broken.length ? " broken" : ""), "data-step": String(i), tabindex: "0" });
    li.append(el("span", { class: "n" }, String(s.step)), s.action);
    if (s.result) li.append(" \u2192 ", el("span", { class: "res" + (/^-E|fault|failed|BUG/.test(s.result) ? " err" : "") }, s.result));
    li.addEventListener("click", () => select(i));
    ol.append(li);
  });
}

/// Frames whose drawing differs from the previous step's, entries that differ, cr3s that differ.
function changes(i) {
  const out = { frames: new Set(), entries: new Set(), cr3: new Set(), cpus: new Set(), guest: new Set() };
  if (i === 0) return out;
  const a = data.steps[i - 1].view, b = data.steps[i].view;
  b.frames.forEach((f, m) => {
    const g = a.frames[m];
    if (!g || JSON.stringify(f) !== JSON.stringify(g)) out.frames.add(m);
    f.entries.forEach((e, k) => { if (!g || !g.entries[k] || g.entries[k].text !== e.text) out.entries.add(m + ":" + k); });
  });
  b.cr3.forEach((c, v) => { if (a.cr3[v] !== c) out.cr3.add(v); });
  b.cpus.forEach((c, k) => { if (JSON.stringify(c) !== JSON.stringify(a.cpus[k])) out.cpus.add(k); });
  b.guest.forEach((line, k) => { if (a.guest[k] !== line) out.guest.add(k); });
  return out;
}

function draw(i) {
  const v = data.steps[i].view, ch = changes(i);
  const svg = document.getElementById("drawing");
  svg.replaceChildren();
  svg.setAttribute("data-step", String(i));
  const defs = el("svg:defs");
  for (const [id, color] of [["arrow", "#37474f"], ["arrow-rw", "#c62828"], ["arrow-cr3", "#2e7d32"]]) {
    const m = el("svg:marker", { id, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
    m.append(el("svg:path", { d: "M0,0 L10,5 L0,10 z", fill: color }));
    defs.append(m);
  }
  svg.append(defs);
  const W = 300, row = 16, head = 50, gapX = 130, gapY = 46, top = 70, left = 20;
  const n = v.frames.length, cols = Math.max(1, Math.min(n, n <= 4 ? n : Math.ceil(Math.sqrt(n))));
  const heights = v.frames.map(f => head + row * f.entries.length + 8);
  const rowH = [];
  v.frames.forEach((f, m) => { const r = Math.floor(m / cols); rowH[r] = Math.max(rowH[r] || 0, heights[m]); });
  const pos = v.frames.map((f, m) => {
    const r = Math.floor(m / cols), c = m % cols;
    let y = top; for (let k = 0; k < r; k++) y += rowH[k] + gapY;
    return { x: left + c * (W + gapX), y };
  });
  const edges = el("svg:g", { class: "edges" });
  v.frames.forEach((f, m) => {
    const p = pos[m];
    const g = el("svg:g", { class: "frame" + (f.type.startsWith("L") ? " table" : "") + (f.pinned ? " pinned" : "") + (ch.frames.has(m) ? " changed" : ""), "data-mfn": String(m) });
    g.append(el("svg:rect", { class: "box", x: p.x, y: p.y, width: W, height: heights[m], rx: "4" }));
    g.append(el("svg:text", { class: "head", x: p.x + 6, y: p.y + 14 }, "mfn " + m + " \u00b7 " + f.type + " \u00b7 type count " + f.typeCount + " \u00b7 general " + f.generalCount));
    const facts = [f.owner === "xen" ? "Xen's" : "guest's", f.validated ? "validated" : "not validated"];
    if (f.pinned) facts.push("PINNED");
    facts.push(f.pfn === null || f.pfn === undefined ? "m2p: none" : "pfn " + f.pfn);
    g.append(el("svg:text", { x: p.x + 6, y: p.y + 29 }, facts.join(" \u00b7 ")));
    if (f.roles.length) g.append(el("svg:text", { class: "role", x: p.x + 6, y: p.y + 43 }, f.roles.join(", ")));
    f.entries.forEach((e, k) => {
      const y = p.y + head + row * k + 8;
      g.append(el("svg:text", { class: ch.entries.has(m + ":" + k) ? "changed" : "", x: p.x + 12, y }, "[" + k + "] " + e.text));
      if (e.target === null || e.target === undefined) return;
      const t = pos[e.target], rw = /rw/.test(e.flags);
      const x1 = p.x + W, y1 = y - 4;
      let d, lx, ly, loop = false;
      if (e.target === m) {   // a linear entry to itself: a loop on the right
        d = `M${x1},${y1} C${x1 + 70},${y1} ${x1 + 70},${p.y + 10} ${x1},${p.y + 10}`; lx = x1 + 62; ly = (y1 + p.y + 10) / 2 + 4; loop = true;
      } else {
        const toLeft = t.x > p.x, x2 = toLeft ? t.x : t.x + W, y2 = t.y + 12;
        const bend = toLeft ? 60 : 80;
        d = `M${x1},${y1} C${x1 + bend},${y1} ${x2 + (toLeft ? -bend : bend)},${y2} ${x2},${y2}`;
        lx = (x1 + x2) / 2 + (toLeft ? 0 : 40); ly = (y1 + y2) / 2 - 3;
      }
      // The flags, abbreviated, right beside the entry the arrow leaves (a label at the
      // arrow's middle is lost where arrows cross).
      const short = e.flags.split("|").map(f => FLAG[f] || f).join(" ");
      lx = x1 + 4; ly = y1 - 3; loop = true;
      const cls = "edge" + (rw ? " rw" : "") + (ch.entries.has(m + ":" + k) ? " changed" : "");
      edges.append(el("svg:path", { class: cls, d, "marker-end": rw ? "url(#arrow-rw)" : "url(#arrow)", "data-from": m + ":" + k, "data-to": String(e.target) }));
      edges.append(el("svg:text", { class: "label" + (rw ? " rw" : ""), x: lx, y: ly, "text-anchor": loop ? "start" : "middle" }, short));
    });
    svg.append(g);
  });
  v.cr3.forEach((c, vcpu) => {
    const x = left + vcpu * 170, y = 12;
    const g = el("svg:g", { class: "vcpu" + (ch.cr3.has(vcpu) ? " changed" : ""), "data-vcpu": String(vcpu) });
    g.append(el("svg:rect", { x, y, width: 150, height: 26, rx: "4" }));
    g.append(el("svg:text", { x: x + 8, y: y + 17 }, "vCPU " + vcpu + " cr3: " + (c === null ? "none" : "mfn " + c)));
    svg.append(g);
    if (c !== null && pos[c]) {
      const t = pos[c];
      edges.append(el("svg:path", { class: "cr3", d: `M${x + 75},${y + 26} C${x + 75},${y + 50} ${t.x + W / 2},${t.y - 30} ${t.x + W / 2},${t.y}`, "marker-end": "url(#arrow-cr3)" }));
    }
  });
  svg.append(edges);
  const width = left + cols * (W + gapX) + 20, height = pos.length ? Math.max(...pos.map((p, m) => p.y + heights[m])) + 30 : 100;
  svg.setAttribute("width", String(Math.max(width, 180 * v.cr3.length + 40)));
  svg.setAttribute("height", String(height));
}

function panels(i) {
  const v = data.steps[i].view, ch = changes(i);
  const cpus = document.getElementById("cpus");
  cpus.replaceChildren();
  if (v.cpus.length) {
    const t = el("table", { id: "cpu-table" });
    const h = el("tr");
    for (const c of ["cpu", "mm", "lazy mode", "queued multicall entries", "in flight", "everything else"]) h.append(el("th", {}, c));
    t.append(h);
    v.cpus.forEach((c, k) => {
      const r = el("tr", { "data-cpu": String(k) });
      const cls = ch.cpus.has(k) ? "changed" : "";
      r.append(el("td", { class: cls }, String(c.cpu)), el("td", { class: cls }, c.mm), el("td", { class: cls }, c.lazyMode),
               el("td", { class: cls }, c.queued.join("\n") || "\u2014"), el("td", { class: cls }, c.inFlight.join("\n") || "\u2014"),
               el("td", { class: cls }, c.details.join("; ")));
      t.append(r);
    });
    cpus.append(t);
  }
  const guest = document.getElementById("guest");
  guest.replaceChildren();
  v.guest.forEach((line, k) => guest.append(el("div", { class: ch.guest.has(k) ? "changed" : "" }, line)));
  document.getElementById("lines").textContent = v.lines.join("\n");
}

function select(i) {
  i = Math.max(0, Math.min(data.steps.length - 1, i));
  current = i;
  const s = data.steps[i];
  document.querySelectorAll("li.step").forEach((li, k) => li.classList.toggle("selected", k === i));
  const li = document.querySelector(`li.step[data-step="${i}"]`);
  if (li && li.scrollIntoView) li.scrollIntoView({ block: "nearest" });
  document.getElementById("step-title").textContent = "step " + s.step + " of " + (data.steps.length - 1) + ": " + s.action + (s.result ? " \u2192 " + s.result : "");
  const box = document.getElementById("violation");
  box.replaceChildren();
  box.hidden = s.broken.length === 0;
  for (const b of s.broken) {
    const d = el("div", { class: "broken-invariant", "data-invariant": b.invariant });
    d.append(el("b", {}, b.invariant + " is broken: "), b.message);
    box.append(d);
  }
  draw(i);
  panels(i);
  if (history.replaceState) { try { history.replaceState(null, "", "#step=" + i); } catch (e) { /* file: URLs in some browsers */ } }
}

document.addEventListener("keydown", ev => {
  if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const k = ev.key;
  if (k === "ArrowDown" || k === "ArrowRight" || k === "j") select(current + 1);
  else if (k === "ArrowUp" || k === "ArrowLeft" || k === "k") select(current - 1);
  else if (k === "Home") select(0);
  else if (k === "End") select(data.steps.length - 1);
  else return;
  ev.preventDefault();
});

header();
stepList();
const m = /step=(\d+)/.exec(location.hash);
select(m ? Number(m[1]) : data.steps.length - 1);
</script>
</body>
</html>
"""#
}

import Testing
@testable import Checker

/// A key given twice is reported at the repeat, with its whole path (the YAML library names
/// only the key and its first line).
@Suite struct DuplicateKeyTests {
    static let cases: [(text: String, line: Int, key: String)] = [
        ("model: hypervisor\nmodel: guest\n", 2, "model"),
        ("model: hypervisor\nsizes: {levels: 2, entries-per-table: 2, levels: 3}\n", 2, "sizes.levels"),
        ("model: hypervisor\nsizes:\n  levels: 2\n  entries-per-table: 2\n\n  # note\n  levels: 3\n", 7, "sizes.levels"),
        ("model: hypervisor\nnot-reached:\n  pin: a\n  pin: b\n", 4, "not-reached.pin"),
        ("model: hypervisor\nnot-reached: {pin: a, pin: b}\n", 2, "not-reached.pin"),
        ("model: hypervisor\nfeatures:\n  a: {b: {c: 1, c: 2}}\n", 3, "features.a.b.c"),
        ("model: hypervisor\nsteps:\n  - pin: {level: 2, mfn: 0}\n    expect: ok\n  - unpin: {mfn: 0}\n    expect: ok\n    expect: -EINVAL\n", 7, "steps[1].expect"),
        ("model: hypervisor\nsteps:\n- pin: {level: 2, mfn: 0}\n  expect: ok\n  expect: x\n", 5, "steps[0].expect"),
        ("model: hypervisor\nsteps:\n  - pin: {level: 2, mfn: 0}\n  - {unpin: {mfn: 0}, expect: ok, expect: x}\n", 4, "steps[1].expect"),
        ("model: hypervisor\nsteps:\n  - pin: {level: 2, mfn: 0, mfn: 1}\n", 3, "steps[0].pin.mfn"),
        ("model: hypervisor\nbounds:\n  depth: 3\n  seconds: 4\n  depth: 5\n", 5, "bounds.depth"),
    ]

    @Test("each duplicate is named at its repeat with its path", arguments: cases.indices)
    func located(_ i: Int) throws {
        let c = Self.cases[i]
        let e = try #require(throws: SpecError.self) { _ = try SpecLoader.document(c.text, file: "d.yaml") }
        #expect(e.line == c.line && e.key == c.key && e.message == "key given more than once", "\(c.text): \(e)")
    }
}

import Foundation
import Testing
@testable import MMUSpec

/// The operation table (`XenOperation`) is the one list of hypervisor operations: these tests
/// hold what is derived from it to it.
@Suite("Xen: the operation table")
struct XenOperationTests {
    /// Every operation of the table (the explorer's and the others) with every argument in
    /// range, plus every out-of-range request the table derives: what the symmetry tests
    /// iterate, so an operation the explorer never generates is covered too.
    static func everyAction(_ config: MMUConfig, flags: [PTEFlags] = [P, PW]) -> [XenAction] {
        XenState.actions(of: XenOperation.allCases, config: config, flagChoices: flags)
            + XenState.outOfRangeActions(config: config)
    }

    @Test("names are unique kebab-case and round-trip")
    func names() {
        #expect(Set(XenOperation.names).count == XenOperation.allCases.count)
        for op in XenOperation.allCases {
            #expect(op.name.allSatisfy { $0.isLowercase || $0 == "-" }, "\(op.name)")
            #expect(XenOperation(name: op.name) == op)
        }
        #expect(XenOperation(name: "mmuext-op") == nil)
        #expect(XenAction.operationNames == XenOperation.names)
    }

    @Test("an action's requests rebuild the action, and name its operation")
    func requestsRoundTrip() {
        let config = MMUConfig(levels: 2, entriesPerTable: 2, machineFrames: 2, pfns: 2, vcpus: 2)
        let actions = Self.everyAction(config)
        for op in XenOperation.allCases { #expect(actions.contains { $0.operation == op }, "\(op.name) has no action") }
        for a in actions {
            #expect(XenAction(vcpu: a.vcpu, requests: a.requests) == a, "\(a)")
            #expect(a.requests.count == 1)
        }
        // Batches: requests of one hypercall join, of two do not.
        let pin = XenAction.hypercall(vcpu: 0, .mmuextOp([.pin(level: 1, mfn: 0), .tlbFlush]))
        #expect(XenAction(vcpu: 0, requests: pin.requests) == pin)
        #expect(XenAction(vcpu: 0, requests: pin.requests + XenAction.hypercall(vcpu: 0, .mmuUpdate([.machphys(mfn: 0, pfn: 0)])).requests) == nil)
    }

    /// `arguments` is exactly what an operation reads: changing a declared argument changes
    /// the action, changing an undeclared field does not. (A new operation that takes an
    /// address but does not declare `.va` fails here, and so cannot be renamed wrongly.)
    @Test("each operation's declared arguments are exactly the fields its action carries")
    func argumentsAreExact() {
        let values = [PTE.none, PTE(frame: 1, flags: P)]
        for op in XenOperation.allCases {
            let base = XenRequest(op)
            let a0 = XenAction(vcpu: 0, requests: [base])
            #expect(a0 != nil)
            for argument in XenArgument.allCases {
                let other = argument == .flush ? UVMFFlush.invlpg.rawValue : (argument == .value ? 1 : 3)
                let a1 = XenAction(vcpu: 0, requests: [base.setting(argument, other, values: values)])
                if op.arguments.contains(argument) {
                    #expect(a1 != a0, "\(op.name): declares \(argument) but its action does not carry it")
                } else {
                    #expect(a1 == a0, "\(op.name): carries \(argument) without declaring it")
                }
            }
        }
    }

    @Test("the explorer's enumeration and the unexplored operations follow the table")
    func enumerationFollowsTheTable() {
        let config = MMUConfig(levels: 2, entriesPerTable: 2, machineFrames: 2, pfns: 2, vcpus: 2, preserveAD: false)
        let explored = Set(XenState.allActions(config: config, flagChoices: [P]).compactMap(\.operation))
        #expect(explored == Set(XenOperation.allCases.filter { $0.offered(config) }))
        #expect(!explored.contains(.tlbFlush) && !explored.contains(.mmuUpdatePreserveAD))
        // vCPU 0 only for the operations whose effect does not depend on the vCPU.
        for a in XenState.allActions(config: config, flagChoices: [P]) where !(a.operation?.perVCPU ?? true) {
            #expect(a.vcpu == 0)
        }
        // The refused requests are refused by the spec (nothing done), whatever the state.
        var s = XenState(config: config)
        for a in XenState.outOfRangeActions(config: config) {
            var t = s
            let r = t.apply(a)
            #expect(!r.succeeded, "\(a) succeeded")
            #expect(t == s, "\(a) changed the state")
        }
        s = XenState(config: config)
    }

    /// docs/model.md's table of hypervisor operations lists exactly the table's names, in order.
    @Test("docs/model.md's operations table lists exactly these operations")
    func docsListTheTable() throws {
        let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../docs/model.md")
        let text = try String(contentsOf: doc, encoding: .utf8)
        let marker = "<!-- operations table: XenOperation -->"
        let section = try #require(text.components(separatedBy: marker).dropFirst().first, "no '\(marker)' in docs/model.md")
        var names: [String] = []
        for line in section.split(separator: "\n", omittingEmptySubsequences: false).dropFirst() {
            guard line.hasPrefix("|") else { if names.isEmpty { continue } else { break } }
            let cell = line.split(separator: "|").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if cell.hasPrefix("`") && cell.hasSuffix("`") { names.append(String(cell.dropFirst().dropLast())) }
        }
        #expect(names == XenOperation.names)
    }
}

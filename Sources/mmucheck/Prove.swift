import ArgumentParser
import Checker
import Foundation
import MMUSpec
import SMT

struct Prove: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prove with Z3: the seed's arithmetic, and the hypervisor's invariants for every state of a spec's sizes.",
        discussion: """
        Without --spec: the arithmetic the seed relies on, at the real widths: \
        \(Obligations.all.map(\.name).joined(separator: ", ")), each with known-false twins that must be \
        refuted (they show the encoding can fail): \(Obligations.twins.map(\.name).joined(separator: ", ")).

        With --spec SPEC: the inductive proofs at the spec's sizes (every state of that size, reachable \
        or not): init-implies-INV and OP-preserves-INV for every operation and every part of the \
        strengthened invariant (well-typed, validated-entries, counts-match), and inv-implies-SAFETY for \
        no-writable-pagetable and no-pagetable-from-writable, plus their twins. A refuted step prints the \
        step, the conjunct that broke, the pre- and post-state, and whether the pre-state breaks a spec \
        invariant (unreachable: the assumed invariant is too weak). docs/proofs.md.

        --encoding modular replaces get_page_type's entry loop and devalidation by their contracts \
        (proved as get-page-type-lN-contract and devalidation-contract, selected with any other \
        inductive obligation; if one does not hold, every modular "proved" is conditional and says so) and \
        asks each goal of frame 0 only (the model is symmetric in frames): one query per conjunct, \
        small enough for 8 frames x 3 levels x 4 entries, where the exact encoding does not finish.

        --only takes names, globs ('mmu-update-*') or the groups arithmetic and inductive.
        """)

    @Option(name: .customLong("only"), help: "Run only the obligations this name, glob or group selects (repeatable).")
    var only: [String] = []

    @Option(name: .customLong("spec"), help: "Prove at this spec's sizes: its proofs: list, or every inductive obligation.")
    var spec: String?

    @Flag(help: "Skip the known-false twins.")
    var noTwins = false

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(name: .customLong("smt2-out"), help: "Write every query as an SMT-LIB2 script into this directory (unsat = proved).")
    var smt2Out: String?

    @Option(name: .customLong("cti-out"), help: "Write the pre-state of every refuted inductive step into this directory, one state file per obligation (for mmucheck reach).")
    var ctiOut: String?

    @Option(help: ArgumentHelp("How the inductive steps encode get_page_type's entry loop and devalidation: exact (unrolled) or modular (by their contracts, proved as the get-page-type-lN-contract and devalidation-contract lemmas). Default: the spec's proof-encoding, else exact.",
                               valueName: "exact|modular"))
    var encoding: ProofEncoding?

    @Option(name: .customLong("timeout-ms"), help: "Per-goal solver timeout in milliseconds, at least 1 (a timeout is reported as incomplete, exit 3).")
    var timeoutMs: UInt32 = 60_000

    func validate() throws {
        if timeoutMs < 1 { throw ValidationError("--timeout-ms must be at least 1") }
    }

    func run() throws {
        let selected: [ProofObligation]
        var config: MMUConfig? = nil
        var entryFlags: [PTEFlags] = []
        var patterns = only
        var encoding = self.encoding ?? .exact
        if self.encoding != nil && spec == nil {
            printErr("mmucheck prove: --encoding applies to the inductive proofs, which are proved at a spec's sizes: give --spec SPEC")
            throw ExitCode(2)
        }
        if let spec {
            let loaded = try loadHypervisorSpec(spec, command: "prove",
                                                why: "the inductive proofs are of the hypervisor model; this spec is a guest one")
            if loaded.config.compatL3 {
                printErr("mmucheck prove: \(spec): features.compat-l3: the symbolic encoding of Xen's rules does not include the compat L3 rules")
                throw ExitCode(2)
            }
            config = loaded.config
            entryFlags = loaded.entryFlags
            if patterns.isEmpty { patterns = loaded.proofs ?? ["inductive"] }
            encoding = self.encoding ?? loaded.proofEncoding
        }
        do {
            selected = try ProofSelection.select(only: patterns, twins: !noTwins, config: config, entryFlags: entryFlags, encoding: encoding)
        } catch {
            printErr("mmucheck prove: \(error)")
            throw ExitCode(2)
        }
        if let smt2Out {
            do { try FileManager.default.createDirectory(atPath: smt2Out, withIntermediateDirectories: true) } catch {
                printErr("mmucheck prove: --smt2-out \(smt2Out): cannot create the directory (\((error as NSError).localizedDescription))")
                throw ExitCode(2)
            }
        }
        if let ctiOut {
            do { try FileManager.default.createDirectory(atPath: ctiOut, withIntermediateDirectories: true) } catch {
                printErr("mmucheck prove: --cti-out \(ctiOut): cannot create the directory (\((error as NSError).localizedDescription))")
                throw ExitCode(2)
            }
        }
        let prover = Prover(limits: SolverLimits(timeoutMs: timeoutMs), smt2Directory: smt2Out)
        let clock = ContinuousClock(), start = clock.now
        if format == .text { print("mmucheck prove (Z3 \(Context.z3Version)\(config != nil ? ", \(encoding.rawValue) encoding" : ""))") }
        var results: [ObligationResult] = []
        var skipped = 0
        for o in selected {
            if interrupted { skipped += 1; continue }
            let r = try prover.run(o)
            results.append(r)
            if format == .text { print(ProofReport.line(r)) }
            if let ctiOut, let g = r.firstRefuted, let state = g.counterexampleState {
                let file = URL(fileURLWithPath: ctiOut).appendingPathComponent("\(r.name).state.json").path
                if let why = OutputFile.problem(file, inputs: spec.map { [$0] } ?? []) {
                    printErr("mmucheck prove: --cti-out: \(file): \(why)")
                    throw ExitCode(2)
                }
                do { try StateFile.write(state, obligation: r.name, to: file) } catch {
                    printErr("mmucheck prove: --cti-out: \(error)")
                    throw ExitCode(2)
                }
                if format == .text { print("      pre-state written to \(file)") }
            }
        }
        let secs = (clock.now - start).inSeconds
        // A modular step's "proved" rests on the lemmas: say so when one did not hold (the exit
        // code already is not 0).
        let unproven = encoding == .modular ? InductiveProofs.lemmasNotHolding(results) : []
        if format == .text {
            print(ProofReport.summary(results, seconds: secs))
            if !unproven.isEmpty {
                print("note: the modular encoding's steps rest on \(unproven.joined(separator: ", ")), which did not hold: every 'proved' step above is conditional on them")
            }
        } else {
            var j = ProofReport.json(results)
            j["seconds"] = secs
            j["z3"] = Context.z3Version
            if config != nil { j["encoding"] = encoding.rawValue }
            if encoding == .modular { j["lemmasNotHolding"] = unproven }
            print(jsonText(j))
        }
        var code = ProofReport.exitCode(results)
        if skipped > 0 {
            printErr("mmucheck prove: \(interruptName): stopped; \(skipped) of \(selected.count) obligations not run (incomplete)")
            if code == 0 { code = 3 }
        }
        if code != 0 { throw ExitCode(code) }
    }
}

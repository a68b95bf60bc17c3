// swift-tools-version: 6.0
import PackageDescription

/// mmucheck: a bounded model checker, SMT prover and differential tester for
/// the Xen paravirtualised MMU protocol (see docs/ and README.md).
///
/// Dependency direction: mmucheck -> Checker -> {MMUSpec, MMUFast, SMT -> CZ3, CSupport}.
/// MMUSpec depends on nothing: it is the executable specification. MMUFast (the packed,
/// incremental hypervisor the explorer runs on) uses MMUSpec's vocabulary only.
let package = Package(
    name: "mmucheck",
    products: [
        .executable(name: "mmucheck", targets: ["mmucheck"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CZ3",
            pkgConfig: "z3",
            providers: [.apt(["libz3-dev"])]
        ),
        .target(name: "SMT", dependencies: ["CZ3"]),
        // C helpers for the explorer's hash tables: cache prefetch, relaxed atomic loads and stores.
        .target(name: "CSupport"),
        .target(name: "MMUSpec"),
        .target(name: "MMUFast", dependencies: ["MMUSpec"]),
        .target(
            name: "Checker",
            dependencies: ["MMUSpec", "MMUFast", "SMT", "CSupport", .product(name: "Yams", package: "Yams")]
        ),
        .executableTarget(
            name: "mmucheck",
            dependencies: ["Checker", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "SMTTests", dependencies: ["SMT"]),
        .testTarget(name: "MMUSpecTests", dependencies: ["MMUSpec"]),
        .testTarget(name: "MMUFastTests", dependencies: ["MMUFast", "MMUSpec"]),
        .testTarget(name: "CheckerTests", dependencies: ["Checker", "MMUSpec", "MMUFast", "SMT"]),
    ]
)

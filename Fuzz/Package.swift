// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for the parsers of untrusted input, kept out of the shipped package: this
// package depends on the root one by path. Build and run them with scripts/fuzz.sh, which
// passes the fuzzer and address sanitizers (SwiftPM then lets libFuzzer's main in).
let package = Package(
    name: "UnderstudyFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Understudy", path: ".."), .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0")],
    targets: [
        // Tar archives and segment bundles: what a device uploads and staff read back.
        .executableTarget(
            name: "FuzzBundle",
            dependencies: [
                .product(name: "UnderstudyModel", package: "Understudy"), .product(name: "Vault", package: "Understudy"),
                .product(name: "Collector", package: "Understudy"), .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Policy YAML: what an organisation publishes and a device consents to.
        .executableTarget(name: "FuzzPolicy", dependencies: [.product(name: "Privacy", package: "Understudy")]),
        // Frame layouts (a bundle's or the vault's `frames/N.frame`).
        .executableTarget(
            name: "FuzzFrame",
            dependencies: [.product(name: "UnderstudyModel", package: "Understudy"), .product(name: "Vault", package: "Understudy")]),
        // Event JSON lines (a bundle's `events.jsonl`).
        .executableTarget(name: "FuzzEvent", dependencies: [.product(name: "UnderstudyModel", package: "Understudy")]),
        // Control-socket lines: requests the recorder reads, answers the command line reads.
        .executableTarget(
            name: "FuzzControl",
            dependencies: [.product(name: "UnderstudyModel", package: "Understudy"), .product(name: "Device", package: "Understudy")]),
    ],
    swiftLanguageModes: [.v6]
)

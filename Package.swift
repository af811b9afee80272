// swift-tools-version: 6.1
import PackageDescription

// Module map and dependency direction: see ../shared/DESIGN.md. Arrows point down only:
// understudy → Device, Collector → Sync, Vault, Capture, Privacy, Datasets → UnderstudyModel; C libraries only below Capture.
let package = Package(
    name: "Understudy",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "understudy", targets: ["understudy"]),
        // `make bench` builds it; `make build` does not, and `understudy --help` does not list it.
        .executable(name: "understudy-bench", targets: ["understudy-bench"]),
        // For the fuzz targets in Fuzz/ (a package of their own), which reach the parsers of
        // untrusted input through these; nothing else depends on them.
        .library(name: "UnderstudyModel", targets: ["UnderstudyModel"]),
        .library(name: "Vault", targets: ["Vault"]),
        .library(name: "Privacy", targets: ["Privacy"]),
        .library(name: "Device", targets: ["Device"]),
        .library(name: "Collector", targets: ["Collector"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.30.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.0"),
    ],
    targets: [
        // Mustache: the pages' templates (`PageTemplates`), which the review page and the console fill.
        .target(name: "UnderstudyModel", dependencies: [.product(name: "Mustache", package: "swift-mustache")]),
        .systemLibrary(
            name: "CX11", pkgConfig: "x11",
            providers: [.apt(["libx11-dev", "libxtst-dev", "libxext-dev", "libxdamage-dev", "libxfixes-dev", "libxrandr-dev"])]),
        .systemLibrary(name: "CXKBCommon", pkgConfig: "xkbcommon", providers: [.apt(["libxkbcommon-dev"])]),
        // zlib: event chunks are deflated before they are sealed.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Tesseract's headers only: ocr.c loads the library with dlopen on first use.
        .target(name: "COCR"),
        // AT-SPI 2 over D-Bus (libatspi): what a screen reader sees of windows, pages and fields.
        .systemLibrary(name: "CAtspi", pkgConfig: "atspi-2", providers: [.apt(["libatspi2.0-dev", "libdbus-1-dev"])]),
        .target(
            name: "CAccessibility", dependencies: ["CAtspi"],
            // gobject is only a private requirement of atspi-2, so pkg-config does not name it.
            linkerSettings: [.linkedLibrary("atspi"), .linkedLibrary("gobject-2.0"), .linkedLibrary("glib-2.0"), .linkedLibrary("dbus-1")]),
        .target(
            name: "CFrameCodec",
            cSettings: [.unsafeFlags(["-I/usr/include/libpng16"])],
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("webp")]
        ),
        .target(
            name: "Capture",
            dependencies: [
                "UnderstudyModel", "CX11", "CXKBCommon", "CFrameCodec", "CAccessibility",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "Vault",
            dependencies: [
                "UnderstudyModel",
                "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "Privacy",
            dependencies: [
                "UnderstudyModel", "COCR",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("catalog.yaml"), .copy("person-names.txt")]
        ),
        .target(name: "Datasets", dependencies: ["UnderstudyModel"]),
        // The collector's wire types: what routes encode and the device's client decodes; the
        // audit log's hash chain, which the server writes and `admin audit verify` checks.
        .target(name: "CollectorAPI", dependencies: ["UnderstudyModel", .product(name: "Crypto", package: "swift-crypto")]),
        // The organisation's collector: routes, auth, audit log, storage, keys.
        .target(
            name: "Collector",
            dependencies: [
                "UnderstudyModel", "Privacy", "CollectorAPI", "Datasets",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [.copy("openapi.yaml"), .embedInCode("Console/Templates")]
        ),
        // The device's side: enrolment credential, signed requests, uploads after the review window.
        .target(
            name: "Sync",
            dependencies: [
                "UnderstudyModel", "Vault", "CollectorAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // What runs on the contributor's machine above the libraries: the recorder's pipeline,
        // its control socket, the policy in force, organisation sync, the recording sources.
        .target(
            name: "Device",
            dependencies: [
                "UnderstudyModel", "Capture", "Vault", "Privacy", "Datasets", "Sync", "CollectorAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.embedInCode("ReviewPage/Templates")]
        ),
        // Commands only: each parses its arguments, calls the libraries, prints.
        .executableTarget(
            name: "understudy",
            dependencies: [
                "UnderstudyModel", "Capture", "Vault", "Privacy", "Datasets", "Collector", "CollectorAPI", "Sync", "Device",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "understudy-bench",
            dependencies: [
                "UnderstudyModel", "Capture", "Vault", "Privacy", "Datasets", "Collector", "Sync", "Device", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Test and bench support: a private Xvfb with a window manager and real apps, a small
        // file system to fill, the collector run as a child process.
        .target(name: "TestSupport", dependencies: ["Collector"], path: "Tests/TestSupport"),
        .testTarget(name: "UnderstudyModelTests", dependencies: ["UnderstudyModel", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "UnderstudyModel"]),
        .testTarget(
            name: "CollectorTests",
            dependencies: [
                "Collector", "CollectorAPI", "UnderstudyModel", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "PrivacyTests", dependencies: ["Privacy", "UnderstudyModel"]),
        .testTarget(name: "DeviceTests", dependencies: ["Device", "Capture", "Privacy", "UnderstudyModel", "CollectorAPI"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "UnderstudyModel", "TestSupport"]),
        .testTarget(
            name: "VaultTests",
            dependencies: ["Vault", "UnderstudyModel", "Capture", "Device", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        // The device's and the collector's decisions under a clock set to other years.
        .testTarget(
            name: "ClockTests",
            dependencies: [
                "UnderstudyModel", "Vault", "Privacy", "Sync", "Collector", "CollectorAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // Runs the built `understudy` binary as a user would.
        .testTarget(
            name: "CommandLineTests",
            dependencies: [
                "UnderstudyModel", "Vault", "Capture", "Privacy", "Datasets", "Sync", "Collector", "CollectorAPI", "TestSupport", "understudy",
                .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)

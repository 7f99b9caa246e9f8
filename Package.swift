// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ShopifySync",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "shopify-sync", targets: ["shopify-sync"]),
        .executable(name: "shopify-simulator", targets: ["shopify-simulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // The simulator names HTTPTypes and NIOCore types itself; hummingbird already depends on both.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/GraphQLSwift/GraphQL", from: "4.3.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // MARK: - System libraries
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // The C library's renameat2(2), which the Glibc module does not declare.
        .systemLibrary(name: "CSpool"),

        // MARK: - Libraries
        .target(
            name: "ShopifySyncCore",
            dependencies: [
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "CSV", package: "CSV.swift"),
            ]
        ),
        .target(
            name: "Spool",
            dependencies: [
                "CSpool",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "SyncState",
            dependencies: [
                "ShopifySyncCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "ShopifyAPI",
            dependencies: ["CCurl"]
        ),
        .target(
            name: "Systemd",
            dependencies: [
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "ShopifySync",
            dependencies: [
                "ShopifySyncCore",
                "Spool",
                "SyncState",
                "ShopifyAPI",
                "Systemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .target(
            name: "ShopifySimulator",
            dependencies: [
                "ShopifySyncCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                // HTTPServerBuilder: how connections are spoken (plain, or TLS in the tests).
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GraphQL", package: "GraphQL"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: - Executables
        .executableTarget(
            name: "shopify-sync",
            dependencies: [
                "ShopifySync",
                "ShopifySyncCore",
                "ShopifyAPI",
                "Systemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Feeds bytes to every reader of outside input: under libFuzzer (`make fuzz`), or replaying a corpus.
        .executableTarget(
            name: "shopify-sync-fuzz",
            dependencies: ["ShopifySyncCore", "ShopifyAPI", "CFuzzDriver"]
        ),
        .target(name: "CFuzzDriver"),
        .executableTarget(
            name: "shopify-simulator",
            dependencies: [
                "ShopifySimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: - Tests
        // Temporary folders and spools, the NOTIFY_SOCKET listener, the journal: no HTTP stack, so the core, spool,
        // state and systemd suites build without Hummingbird, NIO or GraphQL.
        .target(
            name: "TestSupport",
            dependencies: [
                "Spool",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Tests/TestSupport"
        ),
        // The embedded simulator's shops and the captured responses, for the HTTP and daemon suites.
        .target(
            name: "SimulatorTestSupport",
            dependencies: [
                "ShopifySimulator",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/SimulatorTestSupport"
        ),
        .testTarget(name: "ShopifySyncCoreTests", dependencies: ["ShopifySyncCore", "TestSupport"]),
        .testTarget(
            name: "SpoolTests",
            dependencies: [
                "Spool", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(
            name: "SyncStateTests",
            dependencies: [
                "SyncState", "ShopifySyncCore", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "ShopifyAPITests",
            dependencies: [
                "ShopifyAPI", "TestSupport",
                .product(name: "GraphQL", package: "GraphQL"),
            ]
        ),
        .testTarget(
            name: "SystemdTests",
            dependencies: ["Systemd", "TestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "ShopifySimulatorTests",
            dependencies: ["ShopifySimulator", "ShopifyAPI", "ShopifySyncCore", "SimulatorTestSupport", "TestSupport"]
        ),
        .testTarget(
            name: "ShopifySyncTests",
            dependencies: [
                "ShopifySync", "ShopifySyncCore", "Spool", "SyncState", "ShopifyAPI", "Systemd", "ShopifySimulator",
                "SimulatorTestSupport", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                // The simulator served over real TLS, with HTTP/2 offered by ALPN, for the daemon's TLS tests
                // (swift-nio-ssl and swift-nio-http2 come with it; test-only, never linked into the daemon).
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

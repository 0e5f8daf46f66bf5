// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "agent-pool",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "poolctl", targets: ["poolctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // pool.yaml: model, loading, defaults, overlay, interpolation, validation, revision.
        .target(name: "Spec", dependencies: [
            .product(name: "Yams", package: "Yams"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // What the controller sees: platform services, probes, store records.
        .target(name: "Observers"),
        // Persistence of claims, intents, requests and events: SQLite (default) or Postgres.
        .target(name: "Store", dependencies: [
            "Observers",
            .product(name: "SQLiteNIO", package: "sqlite-nio"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], resources: [.copy("Migrations")]),
        // Planner (pure), plan model and rendering.
        .target(name: "Controller", dependencies: [
            "Spec", "Observers", "Store",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .executableTarget(name: "poolctl", dependencies: [
            "Spec", "Observers", "Controller",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "SpecTests", dependencies: ["Spec"]),
        .testTarget(name: "StoreTests", dependencies: [
            "Store", "Observers",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "ControllerTests", dependencies: ["Controller", "Spec", "Observers"]),
        // Runs the built poolctl binary as an operator would.
        .testTarget(name: "CLITests", dependencies: ["poolctl"]),
    ]
)

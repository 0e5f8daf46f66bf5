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
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // pool.yaml: model, loading, defaults, overlay, interpolation, validation, revision.
        .target(name: "Spec", dependencies: [
            .product(name: "Yams", package: "Yams"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // What the controller sees: platform services, probes, store records.
        .target(name: "Observers"),
        // Planner (pure), plan model and rendering.
        .target(name: "Controller", dependencies: ["Spec", "Observers"]),
        // HTTP client for one agent instance: status probes and claim calls (agent-contract.md).
        .target(name: "AgentClient", dependencies: [
            "Observers",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // A fake agent instance speaking agent-contract.md, with injectable failure modes:
        // the tests' fake and the local platform's instance process.
        .target(name: "StandInAgent", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .executableTarget(name: "poolctl", dependencies: [
            "Spec", "Observers", "Controller", "StandInAgent",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "SpecTests", dependencies: ["Spec"]),
        .testTarget(name: "ControllerTests", dependencies: ["Controller", "Spec", "Observers"]),
        // AgentClient against StandInAgent instances on loopback, over real HTTP.
        .testTarget(name: "AgentTests", dependencies: [
            "AgentClient", "StandInAgent", "Observers",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // Runs the built poolctl binary as an operator would.
        .testTarget(name: "CLITests", dependencies: ["poolctl"]),
    ]
)

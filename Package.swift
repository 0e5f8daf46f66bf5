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
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
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
            // SHA-256 of legacy agent ids that are not instance ids (LegacyInstanceId).
            .product(name: "Crypto", package: "swift-crypto"),
        ], resources: [.copy("Migrations")]),
        // Railway's GraphQL API behind `Platform`: client, limiter, retries, documents.
        .target(name: "Railway", dependencies: [
            "Observers",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            // ByteBuffer and TimeAmount of AsyncHTTPClient's API.
            .product(name: "NIOCore", package: "swift-nio"),
            // Calls by operation and outcome, and the rate-limit budget, for /metrics.
            .product(name: "Metrics", package: "swift-metrics"),
        ], resources: [.copy("GraphQL")]),
        // An in-memory Railway GraphQL server on loopback, for tests and `poolctl fake-railway`.
        // It uses Railway's documents to accept exactly what the client may send.
        .target(name: "RailwayFake", dependencies: [
            "Observers", "Railway",
            .product(name: "Hummingbird", package: "hummingbird"),
            // Header names such as Project-Access-Token in Hummingbird's requests.
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ]),
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
        // `Platform` on this machine: stand-in agent processes on loopback ports, no account needed.
        .target(name: "LocalPlatform", dependencies: [
            "Observers",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Classifier, pure planner, plan and rendering; observer, executor and the tick.
        .target(name: "Controller", dependencies: [
            "Spec", "Observers", "Store",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // QR Code encoder (ISO/IEC 18004, byte mode) and SVG rendering for the dashboard's invite URL.
        .target(name: "QRCode"),
        // The HTTP API and the reconcile loop as a service: what `poolctl serve` runs.
        .target(name: "Server", dependencies: [
            "Controller", "Store", "Spec", "Observers",
            // GET /api/pool/qr: the invite URL's QR code for the dashboard.
            "QRCode",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            // Constant-time comparison of the bearer token through SHA-256 digests.
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            // GET /metrics: swift-metrics objects, rendered by swift-prometheus.
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], resources: [.copy("openapi.yaml"), .copy("dashboard.html")]),
        .executableTarget(name: "poolctl", dependencies: [
            "Spec", "Observers", "Controller", "Store", "Railway", "RailwayFake", "AgentClient", "StandInAgent", "Server",
            "LocalPlatform",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // BrokenSpecs/ holds data the tests read from the source tree, not resources.
        .testTarget(name: "SpecTests", dependencies: ["Spec"], exclude: ["BrokenSpecs"]),
        .testTarget(name: "StoreTests", dependencies: [
            "Store", "Observers",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "ControllerTests", dependencies: ["Controller", "Spec", "Observers"]),
        .testTarget(name: "RailwayTests", dependencies: [
            "Railway", "RailwayFake", "Observers",
            // Raw requests that the client would never send (unknown documents).
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // AgentClient against StandInAgent instances on loopback, over real HTTP.
        .testTarget(name: "AgentTests", dependencies: [
            "AgentClient", "StandInAgent", "Observers",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // One full tick against the fake Railway with a real store: the executor end to end.
        .testTarget(name: "ReconcileTests", dependencies: [
            "Controller", "Spec", "Observers", "Store", "Railway", "RailwayFake",
            // Agent faults: real stand-in agents probed by the real agent client.
            "AgentClient", "StandInAgent",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Claims: the claim service with real stores and stand-in agents over HTTP.
        .testTarget(name: "ClaimTests", dependencies: [
            "Controller", "Spec", "Observers", "Store", "AgentClient", "StandInAgent",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Encoder units, plus SVG -> PNG -> decoder round trips (rsvg-convert, zbarimg).
        .testTarget(name: "QRCodeTests", dependencies: ["QRCode"]),
        // LocalPlatform running the real poolctl binary's stand-in agents.
        .testTarget(name: "LocalPlatformTests", dependencies: [
            "LocalPlatform", "Observers",
            // The binary the instances run; built before the tests.
            "poolctl",
        ]),
        // import-legacy against a real Postgres (scripts/with-postgres): the legacy table
        // is made with PostgresNIO, the import runs into SQLite and Postgres stores, and
        // the built poolctl runs it as an operator would.
        .testTarget(name: "LegacyImportTests", dependencies: [
            // poolctl: the command tests run the built binary.
            "Store", "Observers", "Controller", "poolctl",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The HTTP API through Hummingbird's test client, the loop, and `poolctl serve` end to end.
        .testTarget(name: "ServerTests", dependencies: [
            "Server", "Controller", "Spec", "Observers", "Store", "poolctl", "RailwayFake", "StandInAgent",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // Runs the built poolctl binary as an operator would.
        .testTarget(name: "CLITests", dependencies: [
            "poolctl", "RailwayFake", "Store",
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)

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
        // The observed-state model: platform services, probe results, store records,
        // instance states, requests, and the snapshot format. Values only.
        .target(name: "Model"),
        // The seams toward the outside: where instances run (Platform) and how an instance
        // is probed and claimed. The adapters (Railway, LocalPlatform, AgentClient) implement them.
        .target(name: "Ports", dependencies: ["Model"]),
        // The classifier, the pure planner and its rules, the plan, instance naming. Pure by
        // construction: it may depend on Spec and Model only (no store, network, clock or log).
        .target(name: "Planning", dependencies: ["Spec", "Model"]),
        // Persistence of claims, intents, requests and events: SQLite (default) or Postgres.
        .target(name: "Store", dependencies: [
            "Model",
            .product(name: "SQLiteNIO", package: "sqlite-nio"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            // SHA-256 of legacy agent ids that are not instance ids (LegacyInstanceId).
            .product(name: "Crypto", package: "swift-crypto"),
        ], resources: [.copy("Migrations")]),
        // Gathers a tick's observation: one platform listing, one store read, one round of probes.
        .target(name: "Observers", dependencies: ["Model", "Ports", "Planning", "Store"]),
        // Railway's GraphQL API behind `Platform`: client, limiter, retries, documents.
        .target(name: "Railway", dependencies: [
            "Model", "Ports",
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
            "Model", "Ports", "Railway",
            .product(name: "Hummingbird", package: "hummingbird"),
            // Header names such as Project-Access-Token in Hummingbird's requests.
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // HTTP client for one agent instance: status probes and claim calls (docs/agent-contract.md).
        .target(name: "AgentClient", dependencies: [
            "Model", "Ports",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // A fake agent instance speaking docs/agent-contract.md, with injectable failure modes:
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
            "Model", "Ports",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The tick (observe, plan, apply, record), the executor, claims, operator actions,
        // the loop with its leader lease, and the composition root that wires them.
        .target(name: "Controller", dependencies: [
            "Spec", "Model", "Ports", "Planning", "Observers", "Store",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            // The saved plan's fingerprint and the claim request's hash.
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // What people read of a plan and of the pool: the plan's text, counts, instance status.
        .target(name: "Views", dependencies: ["Planning", "Model", "Spec"]),
        // QR Code encoder (ISO/IEC 18004, byte mode) and SVG rendering for the dashboard's invite URL.
        .target(name: "QRCode"),
        // The HTTP API: routes, auth, errors, metrics, what `poolctl serve` serves.
        .target(name: "Server", dependencies: [
            "Controller", "Store", "Spec", "Model", "Ports", "Planning", "Views",
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
            "Spec", "Model", "Ports", "Planning", "Observers", "Controller", "Views", "Store", "Railway", "RailwayFake",
            "AgentClient", "StandInAgent", "Server", "LocalPlatform",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // What every test target shares: the quiet logger, clocks, `eventually`, fakes of the
        // platform and the agents, and worlds built through the composition root. Not part
        // of any product: nothing here ships in poolctl.
        .target(name: "TestSupport", dependencies: [
            "Spec", "Model", "Ports", "Planning", "Observers", "Store", "Controller", "Server", "Railway", "RailwayFake",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], path: "Tests/TestSupport"),
        // BrokenSpecs/ holds data the tests read from the source tree, not resources.
        .testTarget(name: "SpecTests", dependencies: ["Spec", "Planning", "TestSupport"], exclude: ["BrokenSpecs"]),
        .testTarget(name: "StoreTests", dependencies: [
            "Store", "Model", "Ports", "Planning", "TestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The classifier and the planner on values: rule tests and seeded property tests.
        .testTarget(name: "PlanningTests", dependencies: ["Ports", "Planning", "Views", "Spec", "Model", "TestSupport"]),
        .testTarget(name: "RailwayTests", dependencies: [
            "Railway", "RailwayFake", "Model", "Ports", "Planning", "TestSupport",
            // Raw requests that the client would never send (unknown documents).
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // AgentClient against StandInAgent instances on loopback, over real HTTP.
        .testTarget(name: "AgentTests", dependencies: [
            "AgentClient", "StandInAgent", "Model", "Ports", "Planning", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // One full tick against the fake Railway with a real store: the executor end to end.
        .testTarget(name: "ReconcileTests", dependencies: [
            "Controller", "Spec", "Model", "Ports", "Planning", "Observers", "Store", "Railway", "RailwayFake", "TestSupport",
            // Agent faults: real stand-in agents probed by the real agent client.
            "AgentClient", "StandInAgent",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Claims: the claim service with real stores and stand-in agents over HTTP.
        .testTarget(name: "ClaimTests", dependencies: [
            "Planning", "Controller", "Spec", "Model", "Ports", "Store", "AgentClient", "StandInAgent", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Encoder units, plus SVG -> PNG -> decoder round trips (rsvg-convert, zbarimg).
        .testTarget(name: "QRCodeTests", dependencies: ["QRCode", "TestSupport"]),
        // LocalPlatform running the real poolctl binary's stand-in agents.
        .testTarget(name: "LocalPlatformTests", dependencies: [
            "LocalPlatform", "Model", "Ports", "Planning", "TestSupport",
            // The binary the instances run; built before the tests.
            "poolctl",
        ]),
        // import-legacy against a real Postgres (scripts/with-postgres): the legacy table
        // is made with PostgresNIO, the import runs into SQLite and Postgres stores, and
        // the built poolctl runs it as an operator would.
        .testTarget(name: "LegacyImportTests", dependencies: [
            "Ports", "Planning",
            // poolctl: the command tests run the built binary.
            "Store", "Model", "Controller", "poolctl", "TestSupport",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The HTTP API through Hummingbird's test client, without sockets or processes:
        // routes, auth, bodies, the loop, the dashboard page, openapi.yaml.
        .testTarget(name: "APITests", dependencies: [
            "Server", "Controller", "Spec", "Model", "Ports", "Planning", "Store", "TestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // Real processes: `poolctl serve` end to end, replicas on one Postgres, crashes,
        // store outages through a TCP proxy, secret leaks, the dashboard in Chromium.
        .testTarget(name: "SystemTests", dependencies: [
            "Server", "Controller", "Spec", "Model", "Ports", "Planning", "Store", "poolctl", "RailwayFake", "StandInAgent",
            "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Runs the built poolctl binary as an operator would.
        .testTarget(name: "CLITests", dependencies: [
            "poolctl", "RailwayFake", "Store", "StandInAgent", "Model", "Ports", "Planning", "TestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)

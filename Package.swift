// swift-tools-version:6.0
import PackageDescription

// The library products the targets use, named once.
let yams: Target.Dependency = .product(name: "Yams", package: "Yams")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let sqlite: Target.Dependency = .product(name: "SQLiteNIO", package: "sqlite-nio")
let postgres: Target.Dependency = .product(name: "PostgresNIO", package: "postgres-nio")
let httpClient: Target.Dependency = .product(name: "AsyncHTTPClient", package: "async-http-client")
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let hummingbirdTesting: Target.Dependency = .product(name: "HummingbirdTesting", package: "hummingbird")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioHTTP1: Target.Dependency = .product(name: "NIOHTTP1", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
// The router tests' channel type, so a request context can tell it from a connection.
let nioEmbedded: Target.Dependency = .product(name: "NIOEmbedded", package: "swift-nio")
let nioConcurrency: Target.Dependency = .product(name: "NIOConcurrencyHelpers", package: "swift-nio")
let httpTypes: Target.Dependency = .product(name: "HTTPTypes", package: "swift-http-types")
let hummingbirdCore: Target.Dependency = .product(name: "HummingbirdCore", package: "hummingbird")
let nioHTTPTypes: Target.Dependency = .product(name: "NIOHTTPTypes", package: "swift-nio-extras")
let lifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let unixSignals: Target.Dependency = .product(name: "UnixSignals", package: "swift-service-lifecycle")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")

/// What every test target may import: the model, the seams, the planner and the shared
/// test support.
let testBasics: [Target.Dependency] = ["Model", "Ports", "Planning", "Credentials", "TestSupport"]

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
        // Already built for Hummingbird: its HTTP part types are what the edge limits handler reads.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // The instance secret and what is derived under it: instance tokens and the key of
        // revisions. Crypto: HMAC-SHA256.
        .target(name: "Credentials", dependencies: [crypto]),
        // pool.yaml: model, loading, defaults, overlay, interpolation, validation, revision.
        .target(name: "Spec", dependencies: ["Credentials", yams, crypto]),
        // The observed-state model: platform services, probe results, store records,
        // instance states, requests, and the snapshot format. Values only.
        .target(name: "Model"),
        // The seams toward the outside: where instances run (Platform) and how an instance
        // is probed and claimed. The adapters (Railway, LocalPlatform, AgentClient) implement them.
        .target(name: "Ports", dependencies: ["Model", "Credentials"]),
        // The classifier, the pure planner and its rules, the plan, instance naming. Pure by
        // construction: it may depend on Spec and Model only (no store, network, clock or log).
        .target(name: "Planning", dependencies: ["Spec", "Model"]),
        // Persistence of claims, intents, requests and events: SQLite (default) or Postgres.
        // Crypto: SHA-256 of legacy agent ids that are not instance ids (LegacyInstanceId).
        .target(name: "Store", dependencies: ["Model", sqlite, postgres, logging, crypto],
                resources: [.copy("Migrations")]),
        // Gathers a tick's observation: one platform listing, one store read, one round of probes.
        .target(name: "Observers", dependencies: ["Model", "Ports", "Planning", "Store", "Credentials"]),
        // Railway's GraphQL API behind `Platform`: client, limiter, retries, documents.
        // NIOCore: ByteBuffer and TimeAmount of AsyncHTTPClient's API; Metrics: calls by
        // operation and outcome, and the rate-limit budget, for /metrics.
        // The OCI distribution protocol: a tag's digest, for instances pinned by digest.
        .target(name: "ImageRegistry", dependencies: ["Spec", httpClient, nioCore]),
        .target(name: "Railway", dependencies: ["Model", "Ports", httpClient, logging, nioCore, metrics],
                resources: [.copy("GraphQL")]),
        // An in-memory Railway GraphQL server on loopback, for tests and `poolctl fake-railway`.
        // It uses Railway's documents to accept exactly what the client may send.
        // HTTPTypes: header names such as Project-Access-Token in Hummingbird's requests.
        .target(name: "RailwayFake", dependencies: ["Model", "Ports", "Planning", "Railway", hummingbird, httpTypes, httpClient, logging]),
        // HTTP client for one agent instance: status probes and claim calls (docs/agent-contract.md).
        .target(name: "AgentClient", dependencies: ["Model", "Ports", httpClient, nioCore, nioHTTP1, logging]),
        // A fake agent instance speaking docs/agent-contract.md, with injectable failure modes:
        // the tests' fake and the local platform's instance process.
        .target(name: "StandInAgent", dependencies: [hummingbird, logging, lifecycle, nioConcurrency, nioCore, nioPosix]),
        // `Platform` on this machine: stand-in agent processes on loopback ports, no account needed.
        .target(name: "LocalPlatform", dependencies: ["Model", "Ports", logging]),
        // The tick (observe, plan, apply, record), the executor, claims, operator actions,
        // the loop with its leader lease, and the composition root that wires them.
        // Crypto: the saved plan's fingerprint and the claim request's hash.
        .target(name: "Controller", dependencies: [
            "Spec", "Credentials", "Model", "Ports", "Planning", "Observers", "Store", logging, lifecycle, crypto,
        ]),
        // What people read of a plan and of the pool: the plan's text, counts, instance status.
        .target(name: "Views", dependencies: ["Planning", "Model", "Spec", "Credentials"]),
        // QR Code encoder (ISO/IEC 18004, byte mode) and SVG rendering for the dashboard's invite URL.
        .target(name: "QRCode"),
        // The HTTP API: routes, auth, errors, metrics, what `poolctl serve` serves.
        // QRCode: GET /api/pool/qr; Crypto: constant-time comparison of the bearer token
        // through SHA-256 digests; Metrics and Prometheus: GET /metrics; HummingbirdCore and
        // NIOHTTPTypes: the HTTP/1 channel and the request parts the edge limits read.
        .target(name: "Server", dependencies: [
            "Controller", "Store", "Spec", "Credentials", "Model", "Ports", "Planning", "Views", "QRCode",
            hummingbird, hummingbirdCore, logging, lifecycle, unixSignals, crypto, httpTypes, nioCore, nioEmbedded, nioHTTPTypes, metrics, prometheus,
        ], resources: [.copy("openapi.yaml"), .copy("dashboard.html")]),
        .executableTarget(name: "poolctl", dependencies: [
            "Spec", "Credentials", "Model", "Ports", "Planning", "Observers", "Controller", "Views", "Store", "Railway", "RailwayFake",
            "AgentClient", "StandInAgent", "Server", "LocalPlatform", "ImageRegistry",
            argumentParser, metrics, httpClient, hummingbird, logging, lifecycle, crypto,
        ]),

        // What every test target shares: the quiet logger, clocks, `eventually`, fakes of the
        // platform and the agents, the poolctl runner, and worlds built through the
        // composition root. Not part of any product: nothing here ships in poolctl.
        .target(name: "TestSupport", dependencies: [
            "Spec", "Credentials", "Model", "Ports", "Planning", "Observers", "Store", "Controller", "Server", "Railway", "RailwayFake",
            "ImageRegistry", "LocalPlatform",
            logging, hummingbird, hummingbirdTesting, lifecycle,
        ], path: "Tests/TestSupport"),
        // BrokenSpecs/ holds data the tests read from the source tree, not resources.
        .testTarget(name: "SpecTests", dependencies: ["Spec", "Planning", "Credentials", "TestSupport"], exclude: ["BrokenSpecs"]),
        .testTarget(name: "StoreTests", dependencies: testBasics + ["Store", logging]),
        // The classifier and the planner on values: rule tests and seeded property tests.
        .testTarget(name: "PlanningTests", dependencies: testBasics + ["Spec", "Views"]),
        // The Railway client against the fake; raw requests the client would never send.
        .testTarget(name: "RailwayTests", dependencies: testBasics + ["Railway", "RailwayFake", "ImageRegistry", "Spec", httpClient, nioCore]),
        // AgentClient against StandInAgent instances on loopback, over real HTTP.
        .testTarget(name: "AgentTests", dependencies: testBasics + [
            "AgentClient", "StandInAgent", httpClient, logging, nioCore, nioHTTP1,
        ]),
        // Ticks against the fake Railway with a real store: the executor end to end; agent
        // faults with real stand-in agents probed by the real agent client.
        .testTarget(name: "ReconcileTests", dependencies: testBasics + [
            "Controller", "Spec", "Observers", "Store", "Railway", "RailwayFake", "AgentClient", "StandInAgent",
            httpClient, logging,
        ]),
        // Claims: the claim service with real stores and stand-in agents over HTTP.
        .testTarget(name: "ClaimTests", dependencies: testBasics + [
            "Controller", "Spec", "Store", "AgentClient", "StandInAgent", httpClient, logging,
        ]),
        // Encoder units, plus SVG -> PNG -> decoder round trips (rsvg-convert, zbarimg).
        .testTarget(name: "QRCodeTests", dependencies: ["QRCode", "TestSupport"]),
        // LocalPlatform running the real poolctl binary's stand-in agents (built before the tests).
        .testTarget(name: "LocalPlatformTests", dependencies: testBasics + ["LocalPlatform", "poolctl", "Controller", "Spec", "Store"]),
        // import-legacy against a real Postgres (scripts/with-postgres): the legacy table
        // is made with PostgresNIO, the import runs into SQLite and Postgres stores, and
        // the built poolctl runs it as an operator would.
        .testTarget(name: "LegacyImportTests", dependencies: testBasics + [
            "Store", "Controller", "poolctl", postgres, logging,
        ]),
        // The HTTP API through Hummingbird's test client, without sockets or processes:
        // routes, auth, bodies, the loop, the dashboard page, openapi.yaml.
        .testTarget(name: "APITests", dependencies: testBasics + [
            "Server", "Controller", "Spec", "Store", hummingbird, hummingbirdTesting, httpTypes, lifecycle, logging, yams,
        ]),
        // Real processes: `poolctl serve` end to end, replicas on one Postgres, crashes,
        // store outages through a TCP proxy, secret leaks, the dashboard in Chromium.
        .testTarget(name: "SystemTests", dependencies: testBasics + [
            "Server", "Controller", "Spec", "Store", "poolctl", "RailwayFake", "StandInAgent",
            httpClient, nioCore, nioHTTP1, hummingbird, httpTypes, lifecycle, logging,
        ]),
        // Runs the built poolctl binary as an operator would.
        .testTarget(name: "CLITests", dependencies: testBasics + ["poolctl", "RailwayFake", "Store", "StandInAgent", logging]),
    ]
)

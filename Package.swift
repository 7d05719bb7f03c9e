// swift-tools-version:6.1
// Distributed Lab: one package, one service binary (`labsvc`) and one CLI (`labctl`).
// Module map (see ../shared/DESIGN.md):
//   Telemetry  – our own OTLP + Prometheus implementation behind the Swift facades
//   LabKit     – what every lab service shares (runtime, faults, clients, resilience patterns)
//   Labs       – the lab services themselves, one folder per lab
//   LabControl – manifests, native runtime, trace store, load generator, comparison
import PackageDescription

let package = Package(
    name: "DistributedLab",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "labsvc", targets: ["labsvc"]),
        .executable(name: "labctl", targets: ["labctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-service-context", from: "1.5.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // Week 44's GraphQL gateway and subgraphs (only the Labs target uses them).
        .package(url: "https://github.com/GraphQLSwift/GraphQL", from: "4.3.0"),
        .package(url: "https://github.com/GraphQLSwift/Graphiti", from: "3.1.0"),
        // Week 33's webhook signatures (HMAC-SHA256); postgres-nio already depends on it.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // hiredis from Debian's libhiredis-dev (no Swift Redis client exists on this machine).
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        // rabbitmq-c from Debian's librabbitmq-dev: the AMQP 0-9-1 client behind LabKit's RabbitMQClient.
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),
        // fork/exec with a parent-death signal, for the native runtime's process supervisor.
        .target(name: "CLabSpawn"),
        .target(
            name: "Telemetry",
            dependencies: [
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                .product(name: "ServiceContextModule", package: "swift-service-context"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "LabKit",
            dependencies: [
                "Telemetry",
                "CHiredis",
                "CRabbitMQ",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "Labs",
            dependencies: [
                "LabKit",
                .product(name: "GraphQL", package: "GraphQL"),
                .product(name: "Graphiti", package: "Graphiti"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "LabControl",
            dependencies: [
                "Telemetry",
                "LabKit",
                "CLabSpawn",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "labsvc",
            dependencies: [
                "Labs", "LabKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "labctl",
            dependencies: [
                "LabControl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry"]),
        .testTarget(
            name: "LabKitTests",
            dependencies: [
                "LabKit",
                // LabControl starts the real Redis/PostgreSQL/Prometheus servers the tests talk to.
                "LabControl",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "LabsTests", dependencies: ["Labs", "LabControl"]),
        .testTarget(name: "LabControlTests", dependencies: ["LabControl"]),
    ],
    swiftLanguageModes: [.v6]
)

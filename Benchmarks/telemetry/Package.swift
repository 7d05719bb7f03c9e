// swift-tools-version:6.2
// Benchmarks for the Telemetry module against the two libraries it stands in for:
// swift-otel 1.6.0 (tracing) and swift-prometheus 2.4.1 (/metrics exposition). See README.md.
//
// This package is separate so that CI, which builds the main package, never builds swift-otel and
// its dependencies. `Sources/Telemetry` is a symlink to the main package's `Sources/Telemetry`: the
// main package exports no library product, so the benchmark compiles the very same sources as its
// own `Telemetry` module, with the same dependencies.
//
// Run with:  swift run -c release -Xswiftc -enable-testing TelemetryBench
// (`-enable-testing` lets the benchmark reach swift-otel's internal span processor and exporter
// protocol through `@testable import OTel`, to plug in an exporter that encodes and discards.)
import PackageDescription

let package = Package(
    name: "telemetry-bench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-service-context", from: "1.5.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Only the OTLP/HTTP trait: the gRPC exporter (and grpc-swift) plays no part here.
        .package(url: "https://github.com/swift-otel/swift-otel", exact: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.31.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The main package's Telemetry module, compiled from the same files (symlink).
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
        // Counts malloc/calloc/realloc/aligned allocations of the whole process.
        .target(name: "CMallocCounter"),
        .executableTarget(
            name: "TelemetryBench",
            dependencies: [
                "Telemetry",
                "CMallocCounter",
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

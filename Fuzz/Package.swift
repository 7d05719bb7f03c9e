// swift-tools-version:6.1
// Fuzz targets (libFuzzer) for the decoders that read untrusted bytes: the OTLP protobuf decoder,
// the OTLP/JSON decoder, the trace-segment reader and the lab manifest parser. See README.md.
//
// Like Benchmarks/loadgen, it compiles the main package's own sources through symlinks: `Telemetry`
// is Sources/Telemetry; `LabControl` is the manifest, catalog, infrastructure-kind and trace files
// of Sources/LabControl (not the HTTP receiver, forwarder or runtime); `LabKit` is only JSONValue,
// the seeded random generator and CRC-32; `CLabSpawn` is itself. So the instrumented build
// (`--sanitize=fuzzer`) covers exactly the code under test without building the whole platform
// (NIO, Hummingbird, PostgreSQL client) a second time.
import PackageDescription

let fuzzTargets = ["FuzzProtobuf", "FuzzOTLPJSON", "FuzzTraceSegment", "FuzzManifest"]

let package = Package(
    name: "distributed-lab-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-service-context", from: "1.5.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
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
        .target(name: "LabKit"),
        .target(name: "CLabSpawn"),
        .target(name: "LabControl", dependencies: ["Telemetry", "LabKit", "CLabSpawn", .product(name: "Yams", package: "Yams")]),
    ]
        + fuzzTargets.map { name in
            .executableTarget(name: name, dependencies: ["LabControl", "LabKit", "Telemetry"])
        },
    swiftLanguageModes: [.v6]
)

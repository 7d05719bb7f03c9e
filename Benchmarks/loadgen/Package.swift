// swift-tools-version:6.1
// Benchmark package for the load generator engine (see README.md).
//
// It compiles the engine's own sources as a small module named `LabControl`: `Sources/LabControl/Load`
// is a symlink to the main package's `Sources/LabControl/Load`, and `Sources/LabControl/LabLimits.swift`
// to the manifest's bounds the engine checks its plan against; the engine's one LabKit dependency,
// the seeded random number generator, is compiled the same way (`Sources/LabKit` holds a symlink to
// its file). So the benchmark runs the exact engine code in a release build without building the
// whole lab platform, and without adding a library product to the main package.
// `Tests/LoadEngineTests` links the engine's tests the same way, so they can also run here.
import PackageDescription

let package = Package(
    name: "loadgen-bench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-service-context", from: "1.5.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .target(name: "LabKit"),
        .target(
            name: "LabControl",
            dependencies: [
                "LabKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                .product(name: "ServiceContextModule", package: "swift-service-context"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "loadgen-bench",
            dependencies: [
                "LabControl",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "LoadEngineTests",
            dependencies: [
                "LabControl",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.1
// The baseline for the telemetry-overhead benchmark (see README.md): the same route as `labsvc
// selftest backend` (GET /work → {"service":"backend"} without Redis or PostgreSQL) on a bare
// Hummingbird application — no tracing, no metrics, no fault middleware. Separate from the main
// package so CI never builds it.
import PackageDescription

let package = Package(
    name: "http-telemetry-bench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1")
    ],
    targets: [
        .executableTarget(
            name: "bare-hello",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        )
    ],
    swiftLanguageModes: [.v6]
)

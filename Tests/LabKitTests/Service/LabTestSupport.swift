import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import Telemetry
import XCTest

@testable import LabKit

/// One telemetry pipeline for the whole test process (the facades bootstrap once): spans go to an
/// in-memory processor the tests inspect, metrics to the global registry `/metrics` serves.
enum TestTelemetry {
    static let spans = InMemorySpanProcessor()
    static let telemetry = LabTelemetry.bootstrap(
        serviceName: "labkit-tests", environment: ["OTEL_TRACES_EXPORTER": "none"], additionalProcessors: [spans])

    /// Finished spans named `name` (and matching `predicate`); waits until at least one has ended.
    static func spans(
        named name: String, timeout: Duration = .seconds(5), where predicate: (OTLP.Span) -> Bool = { _ in true }
    ) async throws -> [OTLP.Span] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found = spans.finishedSpans.filter { $0.name == name && predicate($0) }
            if !found.isEmpty { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        return []
    }
}

extension OTLP.Span {
    func attribute(_ key: String) -> OTLP.AnyValue? { attributes.first { $0.key == key }?.value }
    var traceHex: String { TraceID(bytes: traceID)?.hex ?? "" }
    var spanHex: String { SpanID(bytes: spanID)?.hex ?? "" }
    var parentHex: String { SpanID(bytes: parentSpanID)?.hex ?? "" }
}

/// A LabService listening on a free loopback port, run in a ServiceGroup like `labsvc` runs it.
final class RunningService: Sendable {
    let port: Int
    let context: LabContext
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, context: LabContext, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.context = context
        self.group = group
        self.task = task
    }

    static func start(
        name: String = "test-service", environment: [String: String] = [:], build: (LabService) async throws -> Void = { _ in }
    ) async throws -> RunningService {
        _ = TestTelemetry.telemetry
        var env = environment
        env["PORT"] = env["PORT"] ?? "0"
        let service = try LabService(name: name, environment: env)
        try await build(service)
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        service.onRunning { port in portSink.yield(port) }
        let group = ServiceGroup(configuration: .init(services: [service.makeApplication()], logger: service.context.logger))
        let task = Task { try await group.run() }
        guard let port = await ports.first(where: { _ in true }) else { throw LabStartupError("server did not start") }
        return RunningService(port: port, context: service.context, group: group, task: task)
    }

    /// Graceful shutdown, as on SIGTERM; returns when the server has drained.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// A plain HTTP answer for assertions.
struct HTTPAnswer {
    let status: Int
    let headers: HTTPHeaders
    let body: String
    var json: JSONValue { (try? JSONValue.parse(Array(body.utf8))) ?? .null }
}

/// A raw HTTP call that adds nothing (no traceparent, no deadline) — the test is the outside world.
func http(
    _ method: HTTPMethod = .GET, _ url: String, headers: [(String, String)] = [], body: String? = nil, timeout: Duration = .seconds(10)
) async throws -> HTTPAnswer {
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await LabHTTPClient.shared.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
    let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
    return HTTPAnswer(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
}

/// Seconds taken by `body`.
func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let result = try await body()
    let elapsed = ContinuousClock.now - start
    return (result, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

// A REAL Prometheus scrapes our exposition from a real HTTP endpoint, and we read back what it
// ingested through its HTTP API: samples (/api/v1/query) and exemplars (/api/v1/query_exemplars).
// This is the independent check of both formats: Prometheus' own parsers, not ours.

import Foundation
import Hummingbird
import LabControl
import Logging
import NIOCore
import ServiceContextModule
import ServiceLifecycle
import Synchronization
import Telemetry
import XCTest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

final class PrometheusScrapeTests: XCTestCase {
    func testPrometheusIngestsBothFormatsAndExemplarsWithOurTraceID() async throws {
        // 1. What the service recorded: a histogram with observations inside a sampled span,
        //    a counter with an awkward label value, and a gauge.
        let registry = MetricsRegistry()
        registry.registerProcessMetrics()
        let span = SpanContext(traceID: .random(), spanID: .random(), traceFlags: 1)
        let latency = registry.histogram(
            "scrape_test_request_duration_seconds", help: "Latency of the scrape test's fake requests.",
            labels: [("http_route", "/items/{id}")], buckets: [0.05, 0.1, 0.5, 1])
        var context = ServiceContext.topLevel
        context.spanContext = span
        ServiceContext.withValue(context) {
            latency.observe(0.067) // exemplar on le="0.1"
            latency.observe(0.3) // exemplar on le="0.5"
        }
        latency.observe(0.02) // outside any span: no exemplar on le="0.05"
        latency.observe(0.75) // le="1.0": whole bounds are written "1.0" in both formats, so the series match
        let awkward = "a \"quoted\" \\ value\nwith newline, ünïcode"
        registry.counter("scrape_test_jobs_total", help: "Jobs.", labels: [("queue", awkward)]).increment(by: 7)
        registry.gauge("scrape_test_temperature", help: "A gauge.").set(-2.5)

        // 2. The endpoint: /metrics negotiates from Accept (Prometheus asks for OpenMetrics first);
        //    /metrics-text always answers text 0.0.4, so Prometheus ingests that format too.
        let server = try await MetricsEndpoint.start(registry: registry)

        // 3. A real Prometheus scraping both paths every second.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prom-scrape-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let prometheus: PrometheusServer
        do {
            prometheus = try await PrometheusServer.start(
                directory: directory,
                scrapeTargets: [
                    PrometheusScrapeJob(name: "openmetrics", targets: ["127.0.0.1:\(server.port)"], metricsPath: "/metrics"),
                    PrometheusScrapeJob(name: "text", targets: ["127.0.0.1:\(server.port)"], metricsPath: "/metrics-text"),
                ],
                scrapeInterval: "1s")
        } catch {
            await server.stop()
            throw error
        }
        let api = PrometheusAPI(base: prometheus.baseURL)
        do {
            // Samples, from both jobs, with exact values and the awkward label value round-tripped.
            let jobs = try await api.waitForVector("scrape_test_jobs_total", count: 2)
            XCTAssertEqual(Set(jobs.map { $0.metric["job"] ?? "" }), ["openmetrics", "text"])
            for sample in jobs {
                XCTAssertEqual(sample.value, 7)
                XCTAssertEqual(sample.metric["queue"], awkward)
            }
            for job in ["openmetrics", "text"] {
                let buckets = try await api.vector("scrape_test_request_duration_seconds_bucket{job=\"\(job)\"}")
                let byLE = Dictionary(uniqueKeysWithValues: buckets.map { ($0.metric["le"] ?? "?", $0.value) })
                XCTAssertEqual(byLE, ["0.05": 1, "0.1": 2, "0.5": 3, "1.0": 4, "+Inf": 4], "job \(job)")
                let count = try await api.vector("scrape_test_request_duration_seconds_count{job=\"\(job)\"}")
                XCTAssertEqual(count.map(\.value), [4])
                let sum = try await api.vector("scrape_test_request_duration_seconds_sum{job=\"\(job)\"}")
                XCTAssertEqual(sum.first?.value ?? 0, 1.137, accuracy: 1e-9)
                let gauge = try await api.vector("scrape_test_temperature{job=\"\(job)\"}")
                XCTAssertEqual(gauge.map(\.value), [-2.5])
            }
            // Process metrics arrive too.
            let rss = try await api.vector("process_resident_memory_bytes{job=\"openmetrics\"}")
            XCTAssertGreaterThan(rss.first?.value ?? 0, 1_000_000)

            // Exemplars: only through OpenMetrics, carrying the trace id we recorded.
            let exemplars = try await api.waitForExemplars("scrape_test_request_duration_seconds_bucket", minimum: 2)
            let ours = exemplars.filter { $0.labels["trace_id"] == span.traceID.hex }
            XCTAssertEqual(Set(ours.map { $0.seriesLabels["le"] ?? "?" }), ["0.1", "0.5"])
            XCTAssertTrue(ours.allSatisfy { $0.labels["span_id"] == span.spanID.hex })
            XCTAssertTrue(ours.allSatisfy { $0.seriesLabels["job"] == "openmetrics" })
            XCTAssertEqual(Set(ours.map(\.value)), [0.067, 0.3])
            XCTAssertFalse(exemplars.contains { $0.seriesLabels["job"] == "text" }, "text 0.0.4 carries no exemplars")

            // Prometheus asked for and got OpenMetrics on /metrics.
            XCTAssertTrue(server.servedContentTypes.contains { $0.hasPrefix("application/openmetrics-text; version=1.0.0") })
        } catch {
            let log = (try? String(contentsOf: directory.appendingPathComponent("prometheus.log"), encoding: .utf8)) ?? ""
            await prometheus.stop()
            await server.stop()
            XCTFail("\(error)\n--- prometheus.log (tail) ---\n\(log.suffix(3000))")
            return
        }
        // Scrape health as Prometheus saw it: both targets up.
        let up = try? await api.vector("up")
        XCTAssertEqual(up?.map(\.value), [1, 1])
        await prometheus.stop()
        await server.stop()
    }
}

/// A tiny Hummingbird app on a free loopback port serving a registry's exposition.
private final class MetricsEndpoint: Sendable {
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    private let served: ServedLog

    /// Content types of the /metrics answers so far (what negotiation chose for Prometheus).
    var servedContentTypes: Set<String> { served.contentTypes.withLock { $0 } }

    final class ServedLog: Sendable {
        let contentTypes = Mutex<Set<String>>([])
    }

    static func start(registry: MetricsRegistry) async throws -> MetricsEndpoint {
        let served = ServedLog()
        let router = Router()
        router.get("/metrics") { request, _ -> Response in
            let (contentType, body) = registry.exposition(accept: request.headers[.accept])
            served.contentTypes.withLock { _ = $0.insert(contentType) }
            return Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/metrics-text") { _, _ -> Response in
            let format = ExpositionFormat.prometheusText
            return Response(
                status: .ok, headers: [.contentType: format.contentType],
                body: .init(byteBuffer: ByteBuffer(string: registry.render(format))))
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            })
        // Run in a ServiceGroup so that stop() is a graceful shutdown, not a cancellation.
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], logger: Logger(label: "metrics-endpoint")))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            throw TestError("the metrics endpoint did not start")
        }
        return MetricsEndpoint(port: port, group: group, task: task, served: served)
    }

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>, served: ServedLog) {
        self.port = port
        self.group = group
        self.task = task
        self.served = served
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// The two Prometheus HTTP API calls the test needs, over URLSession.
private struct PrometheusAPI {
    let base: URL

    struct Sample {
        var metric: [String: String]
        var value: Double
    }

    struct StoredExemplar {
        var seriesLabels: [String: String]
        var labels: [String: String]
        var value: Double
    }

    private func get(_ path: String, _ query: [String: String]) async throws -> Any {
        var components = URLComponents(url: base.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        let (data, response) = try await URLSession.shared.data(from: components.url!)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200, let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            json["status"] as? String == "success", let payload = json["data"]
        else { throw TestError("GET \(components.url!) -> \(status): \(String(decoding: data, as: UTF8.self))") }
        return payload
    }

    /// An instant query's vector result.
    func vector(_ promQL: String) async throws -> [Sample] {
        let data = try await get("api/v1/query", ["query": promQL]) as? [String: Any]
        let result = data?["result"] as? [[String: Any]] ?? []
        return result.map { row in
            let value = (row["value"] as? [Any])?.last as? String
            return Sample(metric: row["metric"] as? [String: String] ?? [:], value: value.flatMap(Double.init) ?? .nan)
        }
    }

    /// Exemplars of `promQL` over the last ten minutes (our exemplars carry the wall-clock time of the observation).
    func exemplars(_ promQL: String) async throws -> [StoredExemplar] {
        let now = Date().timeIntervalSince1970
        let data = try await get("api/v1/query_exemplars", ["query": promQL, "start": String(now - 600), "end": String(now + 600)])
        var out: [StoredExemplar] = []
        for series in data as? [[String: Any]] ?? [] {
            let seriesLabels = series["seriesLabels"] as? [String: String] ?? [:]
            for e in series["exemplars"] as? [[String: Any]] ?? [] {
                out.append(
                    StoredExemplar(
                        seriesLabels: seriesLabels, labels: e["labels"] as? [String: String] ?? [:],
                        value: (e["value"] as? String).flatMap(Double.init) ?? .nan))
            }
        }
        return out
    }

    /// Polls until `promQL` returns `count` series (scrapes happen every second; generous timeout for a busy machine).
    func waitForVector(_ promQL: String, count: Int, timeout: Duration = .seconds(60)) async throws -> [Sample] {
        let deadline = ContinuousClock.now + timeout
        var last: [Sample] = []
        while ContinuousClock.now < deadline {
            last = try await vector(promQL)
            if last.count >= count { return last }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw TestError("\(promQL): \(last.count) series after \(timeout), wanted \(count)")
    }

    func waitForExemplars(_ promQL: String, minimum: Int, timeout: Duration = .seconds(60)) async throws -> [StoredExemplar] {
        let deadline = ContinuousClock.now + timeout
        var last: [StoredExemplar] = []
        while ContinuousClock.now < deadline {
            last = try await exemplars(promQL)
            if last.count >= minimum { return last }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw TestError("\(promQL): \(last.count) exemplars after \(timeout), wanted \(minimum)")
    }
}

private struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

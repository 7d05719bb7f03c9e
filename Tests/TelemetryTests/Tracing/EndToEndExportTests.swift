import Foundation
import Tracing
import XCTest

@testable import Telemetry

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The whole pipeline over a real socket: tracer → batch processor → OTLP/HTTP exporter → HTTP →
/// a collector that decodes with the official OpenTelemetry protobuf bindings (otlp_collector.py).
/// The HTTP client here is URLSession, standing in for LabKit's AsyncHTTPClient transport.
final class EndToEndExportTests: XCTestCase {
    struct URLSessionTransport: OTLPTransport {
        func post(url: String, body: [UInt8], contentType: String, timeout: Duration) async throws -> OTLPTransportResponse {
            var request = URLRequest(url: URL(string: url)!)
            request.httpMethod = "POST"
            request.httpBody = Data(body)
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
            request.timeoutInterval = Double(timeout.components.seconds) + 1
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as! HTTPURLResponse
            return OTLPTransportResponse(
                statusCode: http.statusCode, retryAfter: http.value(forHTTPHeaderField: "Retry-After"), body: Array(data))
        }
    }

    /// A running otlp_collector.py; `stop()` ends it.
    final class Collector {
        let process = Process()
        let log: URL
        let port: Int

        init(failFirst: Int) async throws {
            let portFile = try TemporaryFiles.make("collector.port")
            try FileManager.default.removeItem(at: portFile)
            log = try TemporaryFiles.make("collector.jsonl")
            let python = PythonPeer.interpreter
            guard FileManager.default.isExecutableFile(atPath: python) else {
                throw PythonPeer.Failure(description: "Python interpreter \(python) is missing: run `make setup`")
            }
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [
                PythonPeer.scriptsDirectory.appendingPathComponent("otlp_collector.py").path,
                portFile.path, log.path, String(failFirst),
            ]
            process.standardOutput = FileHandle.nullDevice
            let process = self.process
            try process.run()
            let ready = await eventually(timeout: .seconds(30)) {
                FileManager.default.fileExists(atPath: portFile.path) || !process.isRunning
            }
            guard ready, process.isRunning, let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text) else {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                throw PythonPeer.Failure(
                    description: "otlp_collector.py did not start (is opentelemetry-proto installed? run `make setup`)")
            }
            self.port = port
        }

        var endpoint: String { "http://127.0.0.1:\(port)/v1/traces" }

        /// One entry per request the collector received.
        func entries() throws -> [[String: Any]] {
            try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }

        /// SIGKILL, not `terminate()`: a child spawned from a Swift concurrency (dispatch) thread
        /// inherits its blocked signal mask, SIGTERM included, so SIGTERM would be ignored.
        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    private func runPipeline(collector: Collector) async throws -> (sent: OTLP.ExportTraceServiceRequest, handle: TracerHandle) {
        let configuration = TelemetryConfiguration.fromEnvironment([
            "OTEL_SERVICE_NAME": "e2e", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": collector.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "3600000", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "64",
        ])
        let recorder = InMemorySpanProcessor()
        let handle = TracingSystem.makeTracer(
            configuration: configuration, transport: URLSessionTransport(),
            metricsFactory: RecordingMetricsFactory(), additionalProcessors: [recorder])
        let tracer = handle.tracer
        for i in 0..<100 {
            tracer.withSpan("request \(i) ✓", context: .topLevel, ofKind: .server) { span in
                span.attributes["http.response.status_code"] = 200 + i % 3
                span.attributes["ratio"] = Double(i) / 3
                span.attributes.set("tags", value: .stringArray(["a", "ü"]))
                tracer.withSpan("db") { child in
                    if i % 10 == 0 { child.recordError(Boom()) }
                }
            }
        }
        await handle.shutdown()
        let sent = OTLP.ExportTraceServiceRequest(resourceSpans: [
            .init(
                resource: configuration.resource,
                scopeSpans: [.init(scope: OTLPHTTPSpanExporter.defaultScope, spans: recorder.finishedSpans)])
        ])
        return (sent, handle)
    }

    /// Everything the tracer recorded arrives, field by field, at an independent collector.
    func testSpansReachARealCollectorIntact() async throws {
        let collector = try await Collector(failFirst: 0)
        defer { collector.stop() }
        let (sent, _) = try await runPipeline(collector: collector)
        let entries = try collector.entries()
        XCTAssertEqual(entries.count, 4, "200 spans in batches of 64")
        XCTAssertTrue(
            entries.allSatisfy {
                $0["status"] as? Int == 200 && $0["content_type"] as? String == "application/x-protobuf"
                    && $0["path"] as? String == "/v1/traces"
            })
        // Merge the received batches into one request of the same shape as what we recorded.
        var received: [Any] = []
        for entry in entries {
            let request = entry["request"] as! [String: Any]
            let rs = (request["resource_spans"] as! [[String: Any]])[0]
            let spans = (rs["scope_spans"] as! [[String: Any]])[0]["spans"] as! [Any]
            received += spans
        }
        let expected = sent.json as! [String: Any]
        let expectedRS = (expected["resource_spans"] as! [[String: Any]])[0]
        let expectedSpans = (expectedRS["scope_spans"] as! [[String: Any]])[0]["spans"] as! [Any]
        XCTAssertEqual(expectedSpans.count, 200)
        let diffs = CanonicalJSON.differences(expectedSpans, received)
        XCTAssertTrue(diffs.isEmpty, diffs.prefix(10).joined(separator: "\n"))
        let firstRequest = entries[0]["request"] as! [String: Any]
        let resource = (firstRequest["resource_spans"] as! [[String: Any]])[0]["resource"]!
        XCTAssertTrue(CanonicalJSON.differences(expectedRS["resource"]!, resource).isEmpty)
    }

    /// The collector answers 503 + Retry-After: 1 at first; the exporter waits and resends, losing nothing.
    func testRetryAfter503OverRealHTTP() async throws {
        let collector = try await Collector(failFirst: 1)
        defer { collector.stop() }
        let (sent, handle) = try await runPipeline(collector: collector)
        let entries = try collector.entries()
        XCTAssertEqual(entries.map { $0["status"] as? Int }, [503, 200, 200, 200, 200])
        XCTAssertTrue(CanonicalJSON.differences(entries[0]["request"]!, entries[1]["request"]!).isEmpty, "the retry resends the same batch")
        let delivered = entries.dropFirst().reduce(0) { total, entry in
            let rs = ((entry["request"] as! [String: Any])["resource_spans"] as! [[String: Any]])[0]
            return total + ((rs["scope_spans"] as! [[String: Any]])[0]["spans"] as! [Any]).count
        }
        XCTAssertEqual(delivered, sent.resourceSpans[0].scopeSpans[0].spans.count)
        _ = handle
    }
}

import XCTest

@testable import Telemetry

final class BatchSpanProcessorTests: XCTestCase {
    private func pipeline(
        _ transport: any OTLPTransport, queue: Int, batch: Int, delay: Duration = .seconds(3600),
        exportTimeout: Duration = .seconds(30), retry: RetryPolicy = RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(1))
    ) -> (BatchSpanProcessor, RecordingMetricsFactory) {
        let exporter = OTLPHTTPSpanExporter(
            endpoint: "http://collector.test/v1/traces", transport: transport,
            resource: TelemetryConfiguration(serviceName: "bsp-test").resource, timeout: exportTimeout, retryPolicy: retry)
        let metrics = RecordingMetricsFactory()
        let processor = BatchSpanProcessor(
            exporter: exporter,
            configuration: BatchConfiguration(
                maxQueueSize: queue, scheduleDelay: delay, maxExportBatchSize: batch, exportTimeout: exportTimeout),
            metricsFactory: metrics)
        return (processor, metrics)
    }

    func testShutdownExportsEverySpanWhenTheCollectorWorks() async throws {
        let transport = ScriptedTransport()
        let (processor, metrics) = pipeline(transport, queue: 2048, batch: 100)
        for i in 0..<1_000 { processor.onEnd(makeSpan(i)) }
        await processor.shutdown()
        let received = try transport.receivedSpans()
        XCTAssertEqual(received.count, 1_000)
        XCTAssertEqual(Set(received.map(\.name)).count, 1_000, "every span exactly once")
        XCTAssertTrue(
            transport.requests.allSatisfy {
                (try? OTLP.ExportTraceServiceRequest(protobuf: $0.body))?
                    .resourceSpans[0].scopeSpans[0].spans.count ?? 0 <= 100
            }, "no batch exceeds maxExportBatchSize")
        XCTAssertEqual(processor.statistics.exportedSpans, 1_000)
        XCTAssertEqual(processor.statistics.droppedSpans, 0)
        XCTAssertEqual(metrics.value("telemetry_spans_exported_total"), 1_000)
        XCTAssertEqual(metrics.value("telemetry_spans_dropped_total", [("reason", "queue_full")]), 0)

        // After shutdown nothing is accepted, and that is counted too.
        processor.onEnd(makeSpan(5_000))
        XCTAssertEqual(processor.statistics.droppedAfterShutdown, 1)
        XCTAssertEqual(metrics.value("telemetry_spans_dropped_total", [("reason", "shutdown")]), 1)
        await processor.shutdown() // idempotent
    }

    func testFullBatchesAreExportedWithoutWaitingForTheTimer() async throws {
        let transport = ScriptedTransport()
        let (processor, _) = pipeline(transport, queue: 1_000, batch: 10) // the timer is an hour away
        for i in 0..<30 { processor.onEnd(makeSpan(i)) }
        let exported = await eventually { processor.statistics.exportedSpans == 30 }
        XCTAssertTrue(exported, "three full batches go out on their own; exported \(processor.statistics.exportedSpans)")
        await processor.shutdown()
    }

    func testAPartialBatchIsExportedAfterTheScheduleDelay() async throws {
        let transport = ScriptedTransport()
        let (processor, _) = pipeline(transport, queue: 100, batch: 50, delay: .milliseconds(100))
        for i in 0..<3 { processor.onEnd(makeSpan(i)) }
        let exported = await eventually { transport.requests.count == 1 }
        XCTAssertTrue(exported, "the timer exports a partial batch")
        XCTAssertEqual(try transport.receivedSpans().count, 3)
        await processor.shutdown()
    }

    func testForceFlushExportsWhatIsQueuedAndKeepsRunning() async throws {
        let transport = ScriptedTransport()
        let (processor, _) = pipeline(transport, queue: 100, batch: 50)
        for i in 0..<7 { processor.onEnd(makeSpan(i)) }
        await processor.forceFlush()
        XCTAssertEqual(try transport.receivedSpans().count, 7)
        processor.onEnd(makeSpan(7))
        await processor.forceFlush()
        XCTAssertEqual(try transport.receivedSpans().count, 8)
        await processor.shutdown()
    }

    func testCollectorDownDropsAndCountsWithABoundedQueue() async throws {
        let transport = ScriptedTransport(otherwise: .connectionRefused)
        let (processor, metrics) = pipeline(transport, queue: 50, batch: 10)
        var maxQueued = 0
        for i in 0..<2_000 {
            processor.onEnd(makeSpan(i))
            maxQueued = max(maxQueued, processor.queuedCount)
        }
        await processor.shutdown()
        let stats = processor.statistics
        XCTAssertLessThanOrEqual(maxQueued, 50, "the queue never grows past its bound")
        XCTAssertEqual(stats.exportedSpans, 0)
        XCTAssertGreaterThan(stats.droppedQueueFull, 0, "a full queue drops")
        XCTAssertEqual(stats.droppedQueueFull + stats.droppedExportFailed, 2_000, "every span is accounted for")
        XCTAssertGreaterThan(stats.exportFailures, 0)
        XCTAssertEqual(metrics.value("telemetry_spans_dropped_total", [("reason", "queue_full")]), Double(stats.droppedQueueFull))
        XCTAssertEqual(metrics.value("telemetry_spans_dropped_total", [("reason", "export_failed")]), Double(stats.droppedExportFailed))
        XCTAssertEqual(metrics.value("telemetry_export_failures_total"), Double(stats.exportFailures))
        XCTAssertGreaterThan(transport.requests.count, 0)
    }

    func testShutdownWithTheCollectorDownDoesNotRetryEveryBatch() async throws {
        // The first export hangs; meanwhile 900 more spans queue up; then shutdown begins and the
        // collector turns out to be down (connection refused, 2 attempts per export).
        let transport = HangingTransport(answerAfterRelease: .connectionRefused)
        let (processor, metrics) = pipeline(transport, queue: 2_000, batch: 100)
        for i in 0..<1_000 { processor.onEnd(makeSpan(i)) }
        let stuck = await eventually { transport.calls == 1 }
        XCTAssertTrue(stuck)
        let stopping = Task { await processor.shutdown() }
        // Shutdown has begun once new spans are refused (probes sent before that were queued).
        var probes = 0
        let began = await eventually {
            processor.onEnd(makeSpan(-1))
            probes += 1
            return processor.statistics.droppedAfterShutdown > 0
        }
        XCTAssertTrue(began)
        transport.release()
        await stopping.value

        let stats = processor.statistics
        XCTAssertEqual(stats.exportFailures, 1, "one failed export, not one per remaining batch")
        XCTAssertEqual(transport.calls, 2, "the failed export's two attempts, nothing more")
        let queuedProbes = probes - stats.droppedAfterShutdown
        XCTAssertEqual(stats.droppedExportFailed, 1_000 + queuedProbes, "the failed batch and all queued behind it, counted")
        XCTAssertEqual(metrics.value("telemetry_spans_dropped_total", [("reason", "export_failed")]), Double(1_000 + queuedProbes))
        XCTAssertEqual(processor.queuedCount, 0)
    }

    func testOnEndNeverWaitsForAHungTransport() async throws {
        let transport = HangingTransport()
        let (processor, metrics) = pipeline(transport, queue: 100, batch: 10, exportTimeout: .seconds(3600))
        for i in 0..<10 { processor.onEnd(makeSpan(i)) }
        let stuck = await eventually { transport.calls == 1 }
        XCTAssertTrue(stuck, "the first batch is stuck in the transport")
        // While that export hangs, ending spans keeps working: they queue up to the bound, then drop.
        for i in 10..<10_010 { processor.onEnd(makeSpan(i)) }
        XCTAssertEqual(transport.calls, 1, "still only the one hung request")
        XCTAssertEqual(processor.queuedCount, 100)
        XCTAssertEqual(processor.statistics.droppedQueueFull, 9_900)
        XCTAssertEqual(metrics.value("telemetry_spans_dropped_total", [("reason", "queue_full")]), 9_900)

        // Once the collector answers, a graceful stop delivers the hung batch and the whole queue.
        transport.release()
        await processor.shutdown()
        XCTAssertEqual(processor.statistics.exportedSpans, 110)
    }

    func testPartialSuccessCountsRejectedSpans() async throws {
        let transport = ScriptedTransport([.partialSuccess(rejected: 2, message: "2 spans without a name")])
        let (processor, metrics) = pipeline(transport, queue: 100, batch: 10)
        for i in 0..<10 { processor.onEnd(makeSpan(i)) }
        await processor.shutdown()
        XCTAssertEqual(transport.requests.count, 1, "a partial success is not retried")
        XCTAssertEqual(processor.statistics.exportedSpans, 8)
        XCTAssertEqual(processor.statistics.rejectedByCollector, 2)
        XCTAssertEqual(metrics.value("telemetry_spans_dropped_total", [("reason", "rejected")]), 2)
        XCTAssertEqual(metrics.value("telemetry_spans_exported_total"), 8)
    }

    func testTracesExporterNoneRecordsLocallyButNeverPosts() async throws {
        let transport = ScriptedTransport()
        let recorder = InMemorySpanProcessor()
        let configuration = TelemetryConfiguration.fromEnvironment(["OTEL_TRACES_EXPORTER": "none"])
        let handle = TracingSystem.makeTracer(
            configuration: configuration, transport: transport,
            metricsFactory: RecordingMetricsFactory(), additionalProcessors: [recorder])
        handle.tracer.withSpan("local only", context: .topLevel) { _ in }
        await handle.shutdown()
        XCTAssertEqual(recorder.finishedSpans.map(\.name), ["local only"])
        XCTAssertTrue(transport.requests.isEmpty)
    }

    func testThroughTheTracerAndBootstrapPipeline() async throws {
        let transport = ScriptedTransport()
        var configuration = TelemetryConfiguration.fromEnvironment([
            "OTEL_SERVICE_NAME": "checkout", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9/",
            "OTEL_BSP_SCHEDULE_DELAY": "3600000",
        ])
        configuration.resource.attributes.append(.init("extra", .string("yes")))
        let handle = TracingSystem.makeTracer(configuration: configuration, transport: transport, metricsFactory: RecordingMetricsFactory())
        handle.tracer.withSpan("outer", context: .topLevel) { _ in handle.tracer.withSpan("inner") { _ in } }
        await handle.shutdown()
        let request = try OTLP.ExportTraceServiceRequest(protobuf: XCTUnwrap(transport.requests.first).body)
        XCTAssertEqual(transport.requests.first?.url, "http://127.0.0.1:9/v1/traces")
        XCTAssertEqual(request.resourceSpans[0].resource.attributes.first { $0.key == "service.name" }?.value, .string("checkout"))
        XCTAssertEqual(request.resourceSpans[0].resource.attributes.last?.key, "extra")
        XCTAssertEqual(request.resourceSpans[0].scopeSpans[0].spans.map(\.name), ["inner", "outer"])
    }
}

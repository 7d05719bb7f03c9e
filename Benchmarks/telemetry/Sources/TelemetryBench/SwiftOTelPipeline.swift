import Logging
import ServiceLifecycle
import SwiftProtobuf
import Synchronization

@testable import OTel

/// swift-otel's exporter protocol is internal; this one does what its `OTLPHTTPSpanExporter.export`
/// does before the HTTP request — build the `ExportTraceServiceRequest` and serialize it to protobuf —
/// and then discards the bytes.
final class ProtobufDiscardingSpanExporter: OTelSpanExporter {
    typealias Request = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest
    private let spans = Atomic<Int>(0)
    private let bytes = Atomic<Int>(0)
    var exportedSpans: Int { spans.load(ordering: .acquiring) }
    var bodyBytes: Int { bytes.load(ordering: .relaxed) }

    func run() async throws { try await gracefulShutdown() }

    func export(_ batch: some Collection<OTelFinishedSpan> & Sendable) async throws {
        guard !batch.isEmpty else { return }
        let proto = Request.with { $0.resourceSpans = [Opentelemetry_Proto_Trace_V1_ResourceSpans(batch)] }
        let body: [UInt8] = try proto.serializedBytes()
        bytes.wrappingAdd(body.count, ordering: .relaxed)
        spans.wrappingAdd(batch.count, ordering: .releasing)
    }

    func forceFlush() async throws {}
    func shutdown() async {}
}

/// swift-otel 1.6.0's tracing pipeline exactly as `OTel.makeTracingBackend` assembles it (tracer,
/// batch span processor, W3C propagator, resource), with the exporter swapped for the one above.
/// Its tracer and processor are services; they run in a `ServiceGroup` for the pipeline's lifetime.
final class SwiftOTelPipeline: SpanPipeline {
    typealias Processor = OTelBatchSpanProcessor<ProtobufDiscardingSpanExporter, ContinuousClock>
    let name = "swift-otel 1.6.0"
    let tracer: OTelTracer<OTelRandomIDGenerator<SystemRandomNumberGenerator>, OTelW3CPropagator, Processor, ContinuousClock>
    let exporter = ProtobufDiscardingSpanExporter()
    private let group: ServiceGroup
    private let running: Task<Void, Never>

    init(queueSize: Int) {
        var configuration = OTel.Configuration.default
        configuration.serviceName = "bench"
        configuration.traces.sampler = .alwaysOn
        // Its processor exports one batch per tick (or when the queue is full): a short delay and a
        // queue holding the whole run keep it from dropping spans, so every span is encoded.
        configuration.traces.batchSpanProcessor.maxQueueSize = queueSize
        configuration.traces.batchSpanProcessor.maxExportBatchSize = 512
        configuration.traces.batchSpanProcessor.scheduleDelay = .milliseconds(5)
        let logger = Logger(label: "swift-otel", factory: { _ in SwiftLogNoOpLogHandler() })
        let processor = Processor(exporter: exporter, configuration: configuration.traces.batchSpanProcessor, logger: logger)
        tracer = OTelTracer(
            idGenerator: OTelRandomIDGenerator(), sampler: WrappedSampler(configuration: configuration),
            propagator: OTelW3CPropagator(), processor: processor, resource: OTelResource(configuration: configuration),
            logger: logger)
        group = ServiceGroup(configuration: .init(services: [tracer, processor], logger: logger))
        let group = self.group
        running = Task { try? await group.run() }
    }

    func drain(expecting total: Int) async -> Int {
        // Its forceFlush re-exports what is still buffered without removing it, so wait for the
        // periodic ticks instead (they are part of its normal cost).
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while exporter.exportedSpans < total && clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(1))
        }
        return exporter.exportedSpans
    }

    func shutdown() async {
        await group.triggerGracefulShutdown()
        await running.value
    }
}

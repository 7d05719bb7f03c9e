import Synchronization
import Telemetry

/// A transport that answers 200 to every POST without sending anything: the exporter still builds the
/// request and encodes each batch to protobuf (`OTLPHTTPSpanExporter.export`), only the network is left out.
final class DiscardingTransport: OTLPTransport {
    private let bytes = Atomic<Int>(0)
    var bodyBytes: Int { bytes.load(ordering: .relaxed) }

    func post(url: String, body: [UInt8], contentType: String, timeout: Duration) async throws -> OTLPTransportResponse {
        bytes.wrappingAdd(body.count, ordering: .relaxed)
        return OTLPTransportResponse(statusCode: 200)
    }
}

/// Our pipeline as a service builds it: `TracingSystem.makeTracer` → `BatchSpanProcessor` →
/// `OTLPHTTPSpanExporter` → transport.
struct OursPipeline: SpanPipeline {
    let name = "ours (Telemetry)"
    let handle: TracerHandle
    let transport = DiscardingTransport()
    var tracer: TelemetryTracer { handle.tracer }

    /// - Parameter queueSize: large enough to hold a whole run, so no span is dropped and every one is encoded.
    init(queueSize: Int) {
        let configuration = TelemetryConfiguration(
            serviceName: "bench", sampler: AlwaysOnSampler(),
            batch: BatchConfiguration(maxQueueSize: queueSize, scheduleDelay: .milliseconds(5), maxExportBatchSize: 512))
        handle = TracingSystem.makeTracer(configuration: configuration, transport: transport)
    }

    private var processor: BatchSpanProcessor { handle.tracer.processor as! BatchSpanProcessor }

    func drain(expecting total: Int) async -> Int {
        await handle.forceFlush()
        return processor.statistics.exportedSpans
    }

    var dropped: Int { processor.statistics.droppedSpans }

    func shutdown() async { await handle.shutdown() }
}

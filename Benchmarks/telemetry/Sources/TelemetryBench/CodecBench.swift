import SwiftProtobuf
import Telemetry

@testable import OTel

/// Section 2: our OTLP codec on a realistic 512-span request, and — as a reference, and as an
/// independent check of the bytes — swift-protobuf with the generated OTLP types swift-otel ships.
enum CodecBench {
    typealias ProtoRequest = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest

    static func run(runs: Int) async throws -> Table {
        let request = sampleRequest(spanCount: 512)
        let spanCount = request.resourceSpans[0].scopeSpans[0].spans.count
        let bytes = request.protobufBytes()

        // The independent decoder must read our bytes back to the same request.
        let proto = try ProtoRequest(serializedBytes: bytes)
        let protoBytes: [UInt8] = try proto.serializedBytes()
        precondition(proto.resourceSpans[0].scopeSpans[0].spans.count == spanCount, "swift-protobuf read a different span count")
        precondition(protoBytes.count == bytes.count, "swift-protobuf re-encodes our request to a different size")
        let roundTrip = try OTLP.ExportTraceServiceRequest(protobuf: protoBytes)
        precondition(roundTrip == request, "our decoder misreads swift-protobuf's bytes")

        // Each timed run repeats the operation enough times to last a few milliseconds.
        let repeats = 20
        var sink = 0
        let encode = try await benchmark(runs: runs) {
            for _ in 0..<repeats { sink &+= request.protobufBytes().count }
        }
        let decode = try await benchmark(runs: runs) {
            for _ in 0..<repeats { sink &+= try OTLP.ExportTraceServiceRequest(protobuf: bytes).resourceSpans.count }
        }
        let protoEncode = try await benchmark(runs: runs) {
            for _ in 0..<repeats { sink &+= (try proto.serializedBytes() as [UInt8]).count }
        }
        let protoDecode = try await benchmark(runs: runs) {
            for _ in 0..<repeats { sink &+= try ProtoRequest(serializedBytes: bytes).resourceSpans.count }
        }
        precondition(sink != 0)

        var table = Table(
            title:
                "2. OTLP codec: one ExportTraceServiceRequest of \(spanCount) spans (8 attributes, 2 events, 1 link each), \(grouped(bytes.count)) bytes",
            columns: ["operation", "µs / request", "spans/s", "MB/s", "allocs / request"])
        func row(_ name: String, _ s: Summary) {
            let perRequest = s.cpu.nanoseconds / Double(repeats)
            table.add(
                name, fixed(perRequest / 1000, 0), grouped(Int(Double(spanCount) / perRequest * 1e9)),
                fixed(Double(bytes.count) / perRequest * 1e3, 0), grouped(Int(s.allocations) / repeats))
        }
        row("ours: encode (protobufBytes)", encode)
        row("ours: decode (init(protobuf:))", decode)
        row("swift-protobuf (swift-otel's types): encode", protoEncode)
        row("swift-protobuf (swift-otel's types): decode", protoDecode)
        return table
    }
}

// libFuzzer target: the OTLP protobuf decoder (Sources/Telemetry/OTLP), on arbitrary bytes.
//
// Besides "never crash, never trap": whatever decodes must re-encode to bytes that decode to the
// same request, and must go through OTLP/JSON and back unchanged (both decoders accept the same
// requests, so the trace store can keep any request it accepted); the trace store's selective decoder
// (only some traces' spans) accepts it too and keeps exactly the spans a full decode would.
import LabControl
import Telemetry

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProtobuf(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? OTLP.ExportTraceServiceResponse(protobuf: bytes)
    guard let request = try? OTLP.ExportTraceServiceRequest(protobuf: bytes) else { return 0 }
    let encoded = request.protobufBytes()
    guard let again = try? OTLP.ExportTraceServiceRequest(protobuf: encoded) else {
        fatalError("a decoded request re-encodes to bytes that do not decode")
    }
    check(again.protobufBytes() == encoded, "protobuf round trip changed the request")
    // The trace store's selective read (only some traces' spans) sees the same spans as a full decode.
    let keep = { (traceID: ArraySlice<UInt8>) -> Bool in (traceID.first ?? 0) % 2 == 0 }
    guard let selected = try? OTLP.ExportTraceServiceRequest(protobuf: bytes, keepingSpansWhere: keep) else {
        fatalError("the selective decoder refuses what the full decoder accepted")
    }
    let expected = request.resourceSpans.flatMap { $0.scopeSpans.flatMap { $0.spans.filter { keep($0.traceID[...]) } } }
    // Compared as bytes: a span with a NaN attribute is not == to itself.
    func spanBytes(_ spans: [OTLP.Span]) -> [UInt8] {
        OTLP.ExportTraceServiceRequest(resourceSpans: [.init(resource: .init(), scopeSpans: [.init(scope: .init(), spans: spans)])])
            .protobufBytes()
    }
    check(
        spanBytes(selected.resourceSpans.flatMap { $0.scopeSpans.flatMap(\.spans) }) == spanBytes(expected),
        "the selective decoder kept other spans than the full decoder's filtered")
    let viaJSON: OTLP.ExportTraceServiceRequest
    do {
        viaJSON = try OTLPJSON.decodeRequest(OTLPJSON.encode(request))
    } catch {
        fatalError("OTLP/JSON refuses what protobuf accepted: \(error)")
    }
    check(
        viaJSON.protobufBytes() == encoded,
        """
        OTLP/JSON round trip changed the request:
        \(String(decoding: OTLPJSON.encode(request), as: UTF8.self))
        became
        \(String(decoding: OTLPJSON.encode(viaJSON), as: UTF8.self))
        """)
    return 0
}

/// Like `precondition`, but its message survives a release build (libFuzzer prints it with the crash).
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

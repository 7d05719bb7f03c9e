// libFuzzer target: the OTLP protobuf decoder (Sources/Telemetry/OTLP), on arbitrary bytes.
//
// Besides "never crash, never trap": whatever decodes must re-encode to bytes that decode to the
// same request, and must go through OTLP/JSON and back unchanged (both decoders accept the same
// requests, so the trace store can keep any request it accepted).
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

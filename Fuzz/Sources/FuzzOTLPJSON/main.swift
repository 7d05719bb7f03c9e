// libFuzzer target: the OTLP/JSON decoder (Sources/LabControl/Traces/OTLPJSON.swift).
//
// Besides "never crash": the trace store keeps what the receiver accepts as protobuf records, so
// every request OTLP/JSON accepts must encode to protobuf that decodes again to the same bytes
// (the class of bug where a JSON span nested 40 levels was stored but could not be read back).
import LabControl
import Telemetry

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOTLPJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? OTLPJSON.decodeResponse(bytes)
    guard let request = try? OTLPJSON.decodeRequest(bytes) else { return 0 }
    let payload = request.protobufBytes()
    let back: OTLP.ExportTraceServiceRequest
    do {
        back = try OTLP.ExportTraceServiceRequest(protobuf: payload)
    } catch {
        fatalError("OTLP/JSON accepted a request whose protobuf does not decode: \(error)")
    }
    check(back.protobufBytes() == payload, "protobuf of a JSON request does not round-trip")
    return 0
}

/// Like `precondition`, but its message survives a release build (libFuzzer prints it with the crash).
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

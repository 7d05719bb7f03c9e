import AsyncHTTPClient
import NIOCore
import Telemetry

/// Telemetry's `OTLPTransport` over AsyncHTTPClient: how the span exporter POSTs OTLP/HTTP protobuf.
/// Uses the process's shared client, whose own tracing is off — exporting spans must not make spans.
public struct AsyncHTTPClientOTLPTransport: OTLPTransport {
    public init() {}

    public func post(url: String, body: [UInt8], contentType: String, timeout: Duration) async throws -> OTLPTransportResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: contentType)
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await LabHTTPClient.shared.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
        let bytes = try await response.body.collect(upTo: 1024 * 1024)
        return OTLPTransportResponse(
            statusCode: Int(response.status.code),
            retryAfter: response.headers.first(name: "retry-after"),
            body: Array(bytes.readableBytesView)
        )
    }
}

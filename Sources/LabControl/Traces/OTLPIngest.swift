import Foundation
import Telemetry

/// The OTLP/HTTP `/v1/traces` exchange without the HTTP server around it: from a request's
/// content type, content encoding and body to the status and body of the answer.
///
/// - `application/x-protobuf` → 200 with a protobuf `ExportTraceServiceResponse`
/// - `application/json` → 200 with an OTLP/JSON response
/// - `Content-Encoding: gzip` (or `deflate`, i.e. zlib) is decompressed first; others → 415
/// - malformed body → 400, a `google.rpc.Status` in the request's format naming the problem; nothing stored
/// - spans the store could not read back (OTLP/JSON nested beyond protobuf's limit) → 400; nothing stored
/// - body over the limit (before or after decompression) → 413; any other content type → 415
/// - the store cannot write → 503 (OTLP clients retry 503); so does a receiver too busy inflating
/// - a body that does not arrive in time → 408
/// Spans with invalid ids are rejected individually: 200 with `partial_success` counting them.
struct OTLPIngest: Sendable {
    enum Format: Sendable {
        case protobuf, json

        var contentType: String {
            switch self {
            case .protobuf: return "application/x-protobuf"
            case .json: return "application/json"
            }
        }
    }

    struct Answer: Sendable, Equatable {
        var status: Int
        var contentType: String
        var body: [UInt8]
        /// Set on success: the decoded request, to forward and count.
        var acceptedSpans: Int = 0
        var rejectedSpans: Int = 0
    }

    let store: TraceStore
    let maxBodyBytes: Int

    static func format(ofContentType header: String?) -> Format? {
        guard let header else { return nil }
        let media = header.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch media {
        case "application/x-protobuf", "application/protobuf": return .protobuf
        case "application/json": return .json
        default: return nil
        }
    }

    /// Whether the body must be inflated first (any `Content-Encoding` but identity; unknown ones
    /// are refused in `handle`).
    static func isCompressed(_ contentEncoding: String?) -> Bool {
        switch contentEncoding?.trimmingCharacters(in: .whitespaces).lowercased() {
        case nil, "", "identity": return false
        default: return true
        }
    }

    func handle(contentType: String?, contentEncoding: String?, body: [UInt8]) -> Answer {
        guard let format = Self.format(ofContentType: contentType) else {
            return Self.plain(
                415, "unsupported content type \"\(contentType ?? "(none)")\": OTLP/HTTP accepts application/x-protobuf or application/json"
            )
        }
        guard body.count <= maxBodyBytes else {
            return Self.failure(413, format, "request body of \(body.count) bytes exceeds the limit of \(maxBodyBytes) bytes")
        }
        let raw: [UInt8]
        do {
            switch contentEncoding?.trimmingCharacters(in: .whitespaces).lowercased() {
            case nil, "", "identity": raw = body
            case "gzip", "x-gzip": raw = try Inflate.gunzip(body, maxOutput: maxBodyBytes)
            case "deflate": raw = try Inflate.zlibInflate(body, maxOutput: maxBodyBytes)
            case let other?:
                return Self.failure(415, format, "unsupported content encoding \"\(other)\": use gzip, deflate or none")
            }
        } catch .tooLarge(let limit) {
            return Self.failure(413, format, "decompressed request body exceeds the limit of \(limit) bytes")
        } catch {
            return Self.failure(400, format, "\(error)")
        }

        let request: OTLP.ExportTraceServiceRequest
        do {
            switch format {
            case .protobuf: request = try OTLP.ExportTraceServiceRequest(protobuf: raw)
            case .json: request = try OTLPJSON.decodeRequest(raw)
            }
        } catch {
            let prefix = format == .json ? "malformed OTLP/JSON: " : ""
            return Self.failure(400, format, prefix + "\(error)")
        }

        let result: TraceStore.AppendResult
        do {
            result = try store.append(request)
        } catch .unreadable(let why) {
            // Well-formed for its own format, but beyond what the store can read back (e.g. OTLP/JSON
            // nested deeper than protobuf allows): the client's to fix, so 400, not a retryable 503.
            return Self.failure(400, format, "spans not stored: \(why)")
        } catch {
            return Self.failure(503, format, "could not store the spans: \(error)")
        }
        let response = OTLP.ExportTraceServiceResponse(rejectedSpans: Int64(result.rejectedSpans), errorMessage: result.rejectionReason)
        let body = format == .protobuf ? response.protobufBytes() : OTLPJSON.encode(response)
        return Answer(
            status: 200, contentType: format.contentType, body: body, acceptedSpans: result.acceptedSpans,
            rejectedSpans: result.rejectedSpans)
    }

    static func plain(_ status: Int, _ message: String) -> Answer {
        Answer(status: status, contentType: "text/plain; charset=utf-8", body: Array((message + "\n").utf8))
    }

    /// OTLP/HTTP error bodies are a `google.rpc.Status` in the request's own format.
    static func failure(_ status: Int, _ format: Format, _ message: String) -> Answer {
        let code = RPCStatus.code(forHTTPStatus: status)
        switch format {
        case .protobuf:
            return Answer(status: status, contentType: format.contentType, body: RPCStatus.protobuf(code: code, message: message))
        case .json:
            return Answer(status: status, contentType: format.contentType, body: RPCStatus.json(code: code, message: message))
        }
    }
}

/// `google.rpc.Status { int32 code = 1; string message = 2; repeated Any details = 3; }`, hand-encoded.
enum RPCStatus {
    static func code(forHTTPStatus status: Int) -> Int32 {
        switch status {
        case 400: return 3 // INVALID_ARGUMENT
        case 413: return 8 // RESOURCE_EXHAUSTED
        case 415: return 3
        case 503: return 14 // UNAVAILABLE
        default: return 2 // UNKNOWN
        }
    }

    static func protobuf(code: Int32, message: String) -> [UInt8] {
        var out: [UInt8] = [0x08] // field 1, varint
        varint(UInt64(UInt32(bitPattern: code)), into: &out)
        let text = Array(message.utf8)
        out.append(0x12) // field 2, length-delimited
        varint(UInt64(text.count), into: &out)
        out += text
        return out
    }

    static func json(code: Int32, message: String) -> [UInt8] {
        var escaped = ""
        for scalar in message.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case _ where scalar.value < 0x20: escaped += String(format: "\\u%04x", scalar.value)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return Array("{\"code\":\(code),\"message\":\"\(escaped)\"}".utf8)
    }

    private static func varint(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}

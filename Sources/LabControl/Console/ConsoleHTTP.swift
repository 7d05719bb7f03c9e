import Foundation
import HTTPTypes
import Hummingbird
import LabKit
import NIOCore

/// Small HTTP helpers the console's handlers share: reading queries and bodies, writing JSON.
enum ConsoleHTTP {
    /// The query string as ordered pairs (repeated keys kept: Jaeger's `tag=` may repeat).
    static func query(_ request: Request) -> [(key: String, value: String)] {
        request.uri.queryParameters.map { (key: String($0.key), value: String($0.value)) }
    }

    static func value(_ query: [(key: String, value: String)], _ name: String) -> String? {
        query.last { $0.key == name }?.value
    }

    /// A JSON body (at most 64 KiB), nil when empty.
    static func body(_ request: Request) async throws -> JSONValue? {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 64 << 10)
        } catch {
            throw ConsoleRequestError(status: 413, "request body larger than 64 KiB")
        }
        guard buffer.readableBytes > 0 else { return nil }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(buffer: buffer))
        } catch {
            throw ConsoleRequestError(status: 400, parameter: "body", "the request body is not JSON: \(String(buffer: buffer).prefix(80))")
        }
    }

    static func json(_ value: JSONValue, status: Int = 200) -> Response {
        raw(Data(value.encodedString().utf8), contentType: "application/json; charset=utf-8", status: status)
    }

    static func raw(_ data: Data, contentType: String, status: Int = 200, cache: Bool = false) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = cache ? "max-age=3600" : "no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    /// Jaeger's error envelope (`{"data": null, "errors": [{"code": 400, "msg": …}]}`) or the console's
    /// own (`{"error": …, "parameter": …}`); both name the parameter when one was at fault.
    static func error(_ error: ConsoleRequestError, jaegerStyle: Bool) -> Response {
        let parameter = error.parameter.map(JSONValue.string) ?? .null
        if jaegerStyle {
            return json(
                [
                    "data": .null, "total": 0, "limit": 0, "offset": 0,
                    "errors": .array([
                        .object(["code": .number(Double(error.status)), "msg": .string(error.message), "parameter": parameter])
                    ]),
                ], status: error.status)
        }
        return json(
            ["error": .string(error.message), "parameter": parameter, "status": .number(Double(error.status))], status: error.status)
    }

    static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let ip = address?.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }

    /// A number parameter, or a 400 naming it.
    static func double(_ query: [(key: String, value: String)], _ name: String) throws(ConsoleRequestError) -> Double? {
        guard let text = value(query, name), !text.isEmpty else { return nil }
        guard let number = Double(text), number.isFinite else { throw .badParameter(name, text, expected: "a number") }
        return number
    }
}

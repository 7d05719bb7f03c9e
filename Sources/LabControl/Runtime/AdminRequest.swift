import AsyncHTTPClient
import Foundation
import LabKit
import NIOCore
import NIOHTTP1

/// One HTTP call of the control plane to a lab's admin APIs (a service's `/admin/…`, a fault
/// proxy's API) or readiness endpoint: async, bounded by a timeout, the error says what answered.
/// The runtime (variant knobs, readiness) and the scenario's actions use the same call.
public enum AdminRequest {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Sends `method url` with an optional JSON body; the response body, or `Failure` for a non-2xx answer.
    @discardableResult
    public static func send(
        _ method: String, _ url: String, body: JSONValue? = nil, token: String? = nil,
        timeout: Duration = .seconds(10), http: HTTPClient = .shared
    ) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.encodedString()))
        }
        let response = try await http.execute(request, timeout: .nanoseconds(Int64(timeout.seconds * 1e9)))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard (200..<300).contains(Int(response.status.code)) else {
            throw Failure(description: "\(method) \(url): HTTP \(response.status.code) \(text)")
        }
        return text
    }

    /// The status `GET url` answers with, or nil when nothing answered within `timeout`.
    public static func status(_ url: String, timeout: Duration = .seconds(2), http: HTTPClient = .shared) async -> (Int, String)? {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        guard let response = try? await http.execute(request, timeout: .nanoseconds(Int64(timeout.seconds * 1e9))) else { return nil }
        let body = (try? await response.body.collect(upTo: 64 * 1024)).map { String(buffer: $0) } ?? ""
        return (Int(response.status.code), body)
    }
}

import AsyncHTTPClient
import Foundation
import Instrumentation
import Metrics
import NIOCore
import NIOHTTP1
import ServiceContextModule
import Tracing

/// Calls another service of the lab (`BACKEND_URL` → `lab.peer("backend")`) or any URL.
///
/// Each call: a client span (`GET`, or `GET /work` when a route template is given) that is the parent
/// of the callee's server span via `traceparent`; `http_client_request_duration_seconds{server_address,
/// http_request_method,http_response_status_code}`; a per-call timeout, capped by what is left of the
/// incoming request's deadline, which is forwarded as `x-request-timeout-ms`. With a `pool`, the call
/// leases one of that pool's connections first (the wait is part of the call's time).
public struct PeerClient: Sendable {
    public let name: String
    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:8081`.
    public let baseURL: String
    public var defaultTimeout: Duration
    /// Largest response body read into memory.
    public var maxResponseBytes = 8 * 1024 * 1024
    /// false: a 3xx answer is returned (with its `location` header) instead of followed.
    public var followsRedirects = true
    /// The connection pool the calls go through; nil: the process-wide client (`LabHTTPClient.shared`,
    /// or `.notFollowingRedirects` when `followsRedirects` is false; a pool follows redirects).
    public var pool: ConnectionPool?

    public init(name: String, baseURL: String, defaultTimeout: Duration = .seconds(10)) {
        self.name = name
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.defaultTimeout = defaultTimeout
    }

    /// A client for an absolute URL, e.g. `try await PeerClient.url("http://x/y").get("")`.
    public static func url(_ url: String) -> PeerClient { PeerClient(name: url, baseURL: url) }

    public func get(_ path: String, route: String? = nil, headers: HTTPHeaders = [:], timeout: Duration? = nil) async throws -> PeerResponse
    {
        try await send(.GET, path, route: route, headers: headers, body: nil, timeout: timeout)
    }

    public func post(
        _ path: String, route: String? = nil, headers: HTTPHeaders = [:], body: ByteBuffer? = nil, timeout: Duration? = nil
    ) async throws -> PeerResponse {
        try await send(.POST, path, route: route, headers: headers, body: body, timeout: timeout)
    }

    /// POST with a JSON body.
    public func post(_ path: String, route: String? = nil, json: JSONValue, timeout: Duration? = nil) async throws -> PeerResponse {
        try await send(
            .POST, path, route: route, headers: ["content-type": "application/json"], body: ByteBuffer(string: json.encodedString()),
            timeout: timeout)
    }

    public func send(
        _ method: HTTPMethod, _ path: String, route: String? = nil, headers: HTTPHeaders = [:], body: ByteBuffer? = nil,
        timeout: Duration? = nil
    ) async throws -> PeerResponse {
        let url = path.isEmpty ? baseURL : baseURL + (path.hasPrefix("/") ? path : "/" + path)
        let serverAddress = URLComponents(string: baseURL)?.host ?? name
        let serverPort = URLComponents(string: baseURL)?.port

        // The budget: our own timeout, capped by the incoming request's remaining deadline.
        var budget = timeout ?? defaultTimeout
        let deadline = RequestDeadline.current
        if let deadline {
            let remaining = deadline.remaining
            guard remaining > .zero else { throw PeerError.deadlineExceeded(peer: name) }
            budget = min(budget, remaining)
        }

        let start = ContinuousClock.now
        return try await withSpan(route.map { "\(method.rawValue) \($0)" } ?? method.rawValue, ofKind: .client) { span in
            span.attributes["http.request.method"] = method.rawValue
            span.attributes["server.address"] = serverAddress
            if let serverPort { span.attributes["server.port"] = serverPort }
            span.attributes["url.full"] = url
            span.attributes["peer.service"] = name

            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers = headers
            if let body { request.body = .bytes(body) }
            InstrumentationSystem.instrument.inject(
                ServiceContext.current ?? .topLevel, into: &request.headers, using: HTTPHeadersInjector())
            if deadline != nil {
                request.headers.replaceOrAdd(name: RequestTimeoutHeader.name, value: RequestTimeoutHeader.format(budget))
            }

            var statusLabel = "error"
            defer {
                MetricsSystem.factory.makeTimer(
                    label: "http_client_request_duration_seconds",
                    dimensions: [
                        ("server_address", serverAddress), ("http_request_method", method.rawValue),
                        ("http_response_status_code", statusLabel),
                    ]
                ).recordInterval(since: start)
            }
            let nioDeadline = NIODeadline.now() + .nanoseconds(budget.nanoseconds)
            let prepared = request
            let maxResponseBytes = maxResponseBytes
            @Sendable func perform(on client: HTTPClient) async throws -> (HTTPClientResponse, ByteBuffer) {
                let response = try await client.execute(prepared, deadline: nioDeadline)
                return (response, try await response.body.collect(upTo: maxResponseBytes))
            }
            do {
                let (response, bytes) =
                    if let pool {
                        try await pool.withLease(peer: name) { try await perform(on: pool.client) }
                    } else {
                        try await perform(on: followsRedirects ? LabHTTPClient.shared : LabHTTPClient.notFollowingRedirects)
                    }
                statusLabel = String(response.status.code)
                span.attributes["http.response.status_code"] = Int(response.status.code)
                if response.status.code >= 500 { span.setStatus(.init(code: .error)) }
                return PeerResponse(status: Int(response.status.code), headers: response.headers, body: bytes)
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                span.setStatus(.init(code: .error))
                span.attributes["error.type"] = "timeout"
                throw PeerError.timeout(peer: name, after: budget)
            } catch let error as HTTPClientError {
                span.setStatus(.init(code: .error))
                span.attributes["error.type"] = "\(error)"
                throw PeerError.unavailable(peer: name, reason: "\(error)")
            } catch let error as PeerError {
                span.setStatus(.init(code: .error))
                span.attributes["error.type"] = "pool_timeout"
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // Connection refused/reset and friends come from NIO, not as HTTPClientError.
                span.setStatus(.init(code: .error))
                span.attributes["error.type"] = "\(type(of: error))"
                throw PeerError.unavailable(peer: name, reason: "\(error)")
            }
        }
    }
}

/// A peer's answer, fully read.
public struct PeerResponse: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: ByteBuffer

    public var text: String { String(buffer: body) }
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The body as JSON (`.null` when it is not JSON).
    public var json: JSONValue { (try? JSONValue.parse(body.readableBytesView)) ?? .null }

    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(body.readableBytesView))
    }
}

public enum PeerError: Error, CustomStringConvertible, Sendable {
    case timeout(peer: String, after: Duration)
    case unavailable(peer: String, reason: String)
    case deadlineExceeded(peer: String)
    case notConfigured(peer: String, variable: String)
    /// Every connection of the pool stayed leased for the pool's whole `maxWait`.
    case poolTimeout(peer: String, pool: String)

    public var description: String {
        switch self {
        case .timeout(let peer, let after): "\(peer): no answer within \(after)"
        case .unavailable(let peer, let reason): "\(peer): unavailable (\(reason))"
        case .deadlineExceeded(let peer): "\(peer): not called, the request's deadline has already passed"
        case .notConfigured(let peer, let variable): "\(peer): \(variable) is not set"
        case .poolTimeout(let peer, let pool): "\(peer): no free connection in pool '\(pool)'"
        }
    }
}

struct HTTPHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout HTTPHeaders) {
        carrier.replaceOrAdd(name: key, value: value)
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}

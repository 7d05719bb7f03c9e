import AsyncHTTPClient
import Foundation
import NIOCore

/// A small client for Prometheus's HTTP API: the measurements and the report's charts ask the lab's
/// own Prometheus the same PromQL the dashboards use.
public struct PrometheusClient: Sendable {
    public let baseURL: String
    let http: HTTPClient

    public init(baseURL: String, http: HTTPClient = PrometheusClient.failFast) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.http = http
    }

    /// The client queries go through: a Prometheus that does not accept the connection fails the
    /// query at once. (AsyncHTTPClient's default retries a refused connection with backoff until the
    /// request's deadline, so every query to a dead Prometheus took its whole 15 s timeout.)
    public static let failFast: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(2), read: .seconds(15))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// One sample of a series: its labels and value.
    public struct Sample: Sendable, Equatable {
        public var labels: [String: String]
        public var value: Double
    }

    /// One series over time.
    public struct Series: Sendable, Equatable {
        public var labels: [String: String]
        public var points: [(time: Double, value: Double)]
        public static func == (a: Series, b: Series) -> Bool {
            a.labels == b.labels && a.points.map(\.time) == b.points.map(\.time)
                && a.points.map(\.value).elementsEqual(b.points.map(\.value)) { $0 == $1 || ($0.isNaN && $1.isNaN) }
        }
    }

    public struct QueryError: Error, CustomStringConvertible {
        public var query: String
        public var message: String
        public var description: String { "PromQL '\(query)': \(message)" }
    }

    /// An instant query at `time` (unix seconds). Scalars come back as one sample without labels.
    public func instant(_ query: String, at time: Double? = nil) async throws -> [Sample] {
        var params = [("query", query)]
        if let time { params.append(("time", String(format: "%.3f", time))) }
        let data = try await get("/api/v1/query", params, query: query)
        guard let resultType = data["resultType"] as? String else { throw QueryError(query: query, message: "no resultType") }
        switch resultType {
        case "scalar":
            guard let pair = data["result"] as? [Any], pair.count == 2 else { return [] }
            return [Sample(labels: [:], value: Self.number(pair[1]))]
        case "vector":
            let result = data["result"] as? [[String: Any]] ?? []
            return result.map { item in
                let value = (item["value"] as? [Any]).map { $0.count == 2 ? Self.number($0[1]) : .nan } ?? .nan
                return Sample(labels: item["metric"] as? [String: String] ?? [:], value: value)
            }
        default:
            throw QueryError(query: query, message: "expected an instant vector or scalar, got \(resultType)")
        }
    }

    /// A range query from `start` to `end` (unix seconds) every `step` seconds.
    public func range(_ query: String, start: Double, end: Double, step: Double) async throws -> [Series] {
        let data = try await get(
            "/api/v1/query_range",
            [
                ("query", query), ("start", String(format: "%.3f", start)), ("end", String(format: "%.3f", end)),
                ("step", String(format: "%.3f", step)),
            ], query: query)
        let result = data["result"] as? [[String: Any]] ?? []
        return result.map { item in
            let values = item["values"] as? [[Any]] ?? []
            return Series(
                labels: item["metric"] as? [String: String] ?? [:],
                points: values.compactMap { pair in
                    guard pair.count == 2 else { return nil }
                    return (time: Self.number(pair[0]), value: Self.number(pair[1]))
                })
        }
    }

    private func get(_ path: String, _ params: [(String, String)], query: String) async throws -> [String: Any] {
        var components = URLComponents(string: baseURL + path)!
        components.queryItems = params.map { URLQueryItem(name: $0.0, value: $0.1) }
        // `+` is literal in URLQueryItem but means space to Prometheus's form decoder.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        let request = HTTPClientRequest(url: components.string!)
        let response = try await http.execute(request, timeout: .seconds(15))
        let body = try await response.body.collect(upTo: 32 << 20)
        let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
        guard let object else {
            throw QueryError(query: query, message: "HTTP \(response.status.code), not JSON")
        }
        guard object["status"] as? String == "success", let data = object["data"] as? [String: Any] else {
            throw QueryError(query: query, message: (object["error"] as? String) ?? "HTTP \(response.status.code)")
        }
        return data
    }

    static func number(_ any: Any) -> Double {
        if let d = any as? Double { return d }
        if let s = any as? String {
            switch s {
            case "+Inf", "Inf": return .infinity
            case "-Inf": return -.infinity
            case "NaN": return .nan
            default: return Double(s) ?? .nan
            }
        }
        if let n = any as? NSNumber { return n.doubleValue }
        return .nan
    }
}

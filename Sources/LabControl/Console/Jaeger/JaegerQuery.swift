import Foundation
import LabKit

/// A request the console refuses, with the HTTP status and (for a bad query parameter) its name.
public struct ConsoleRequestError: Error, CustomStringConvertible, Equatable {
    public var status: Int
    public var parameter: String?
    public var message: String

    public init(status: Int, parameter: String? = nil, _ message: String) {
        self.status = status
        self.parameter = parameter
        self.message = message
    }

    public static func badParameter(_ name: String, _ value: String, expected: String) -> ConsoleRequestError {
        ConsoleRequestError(status: 400, parameter: name, "parameter '\(name)': cannot use '\(value)' (expected \(expected))")
    }

    public var description: String { message }
}

/// Reads the query parameters of Jaeger's `GET /api/traces` into a `TraceSearch`:
/// `service`, `operation`, `tags` (a JSON object) or repeated `tag=key:value`, `minDuration`/`maxDuration`
/// (Go durations: `1.2s`, `300ms`, `1m30s`), `start`/`end` (Unix microseconds), `limit`, `lookback`
/// (ignored: the UI also sends the start and end it stands for). The console's own search adds
/// `errors=true`, `lab` and `order=newest|longest`. Anything malformed is a 400 naming the parameter.
public enum JaegerQuery {
    /// The most traces one search returns (Jaeger's UI offers up to 1500).
    public static let maxLimit = 1500

    public static func search(_ parameters: [(key: String, value: String)]) throws(ConsoleRequestError) -> TraceSearch {
        var search = TraceSearch()
        for (key, value) in parameters {
            switch key {
            case "service": search.service = value.isEmpty ? nil : value
            case "operation": search.operation = value.isEmpty || value == "all" ? nil : value
            case "tags": search.tags.merge(try tags(json: value), uniquingKeysWith: { $1 })
            case "tag":
                guard let colon = value.firstIndex(of: ":"), colon != value.startIndex else {
                    throw .badParameter("tag", value, expected: "key:value")
                }
                search.tags[String(value[..<colon])] = String(value[value.index(after: colon)...])
            case "minDuration": search.minDurationNanos = value.isEmpty ? nil : try duration(value, parameter: key)
            case "maxDuration": search.maxDurationNanos = value.isEmpty ? nil : try duration(value, parameter: key)
            case "start": search.startNanos = try microseconds(value, parameter: key)
            case "end": search.endNanos = try microseconds(value, parameter: key)
            case "limit":
                guard let limit = Int(value), limit >= 0 else { throw .badParameter(key, value, expected: "a whole number >= 0") }
                search.limit = limit == 0 ? 20 : min(limit, maxLimit)
            case "errors":
                guard let flag = Bool(value.lowercased()) else { throw .badParameter(key, value, expected: "true or false") }
                search.errorsOnly = flag
            case "lab": search.lab = value.isEmpty ? nil : value
            case "order":
                guard let order = TraceSearch.Order(rawValue: value) else { throw .badParameter(key, value, expected: "newest or longest") }
                search.order = order
            case "lookback", "traceID", "prettyPrint", "spanKind": break
            default: break // unknown parameters are ignored, as Jaeger's query service does
            }
        }
        if let min = search.minDurationNanos, let max = search.maxDurationNanos, min > max {
            throw ConsoleRequestError(
                status: 400, parameter: "maxDuration", "parameter 'maxDuration' must not be smaller than 'minDuration'")
        }
        if let start = search.startNanos, let end = search.endNanos, start > end {
            throw ConsoleRequestError(status: 400, parameter: "end", "parameter 'end' must not be before 'start'")
        }
        return search
    }

    /// `{"http.route": "/quote/{id}", "error": "true"}`: values may be strings, numbers or booleans.
    static func tags(json: String) throws(ConsoleRequestError) -> [String: String] {
        guard let data = json.data(using: .utf8), let value = try? JSONDecoder().decode(JSONValue.self, from: data),
            case .object(let fields) = value
        else { throw .badParameter("tags", json, expected: "a JSON object such as {\"error\":\"true\"}") }
        var out: [String: String] = [:]
        for (key, value) in fields {
            switch value {
            case .string(let s): out[key] = s
            case .bool(let b): out[key] = String(b)
            case .number(let n): out[key] = n.rounded() == n && abs(n) < 9e15 ? String(Int64(n)) : String(n)
            default: throw .badParameter("tags", json, expected: "string, number or boolean tag values")
            }
        }
        return out
    }

    /// Unix microseconds (Jaeger's `start`/`end`) to nanoseconds.
    static func microseconds(_ value: String, parameter: String) throws(ConsoleRequestError) -> UInt64? {
        if value.isEmpty { return nil }
        guard let us = UInt64(value), us <= UInt64.max / 1000 else {
            throw .badParameter(parameter, value, expected: "Unix time in microseconds")
        }
        return us * 1000
    }

    /// A Go duration (`1.5s`, `300ms`, `250us`, `1m30s`, `2h`) in nanoseconds.
    public static func duration(_ text: String, parameter: String) throws(ConsoleRequestError) -> UInt64 {
        let units: [(String, Double)] = [
            ("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
        ]
        var rest = Substring(text)
        var total = 0.0
        let bad = ConsoleRequestError.badParameter(parameter, text, expected: "a duration such as 1.2s, 300ms or 500us")
        guard !rest.isEmpty else { throw bad }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { throw bad }
            rest = rest.dropFirst(number.count)
            // The longest unit that matches: `ms` before `m`.
            guard let unit = units.filter({ rest.hasPrefix($0.0) }).max(by: { $0.0.count < $1.0.count }) else { throw bad }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        guard total.isFinite, total < 1e18 else { throw bad }
        return UInt64(total)
    }
}

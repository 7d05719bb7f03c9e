import AsyncHTTPClient
import Foundation
import NIOCore

/// Exemplars: the trace ids Prometheus stored next to histogram buckets (labsvc exposes one per
/// bucket in OpenMetrics; Prometheus keeps them with `--enable-feature=exemplar-storage`).
extension PrometheusClient {
    public struct Exemplar: Sendable, Equatable {
        /// The labels of the bucket series the exemplar belongs to (`__name__`, `job`, `le`, …).
        public var seriesLabels: [String: String]
        public var traceID: String
        /// The observed value (a request's duration in seconds).
        public var value: Double
        /// Unix seconds.
        public var time: Double
    }

    /// `GET /api/v1/query_exemplars`: the exemplars of every series the expression selects.
    public func exemplars(_ query: String, start: Double, end: Double) async throws -> [Exemplar] {
        var components = URLComponents(string: baseURL + "/api/v1/query_exemplars")!
        components.queryItems = [
            URLQueryItem(name: "query", value: query), URLQueryItem(name: "start", value: String(format: "%.3f", start)),
            URLQueryItem(name: "end", value: String(format: "%.3f", end)),
        ]
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        let response = try await http.execute(HTTPClientRequest(url: components.string!), timeout: .seconds(15))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any],
            object["status"] as? String == "success"
        else { throw QueryError(query: query, message: "query_exemplars: HTTP \(response.status.code)") }
        var out: [Exemplar] = []
        for group in object["data"] as? [[String: Any]] ?? [] {
            let labels = group["seriesLabels"] as? [String: String] ?? [:]
            for item in group["exemplars"] as? [[String: Any]] ?? [] {
                let exemplarLabels = item["labels"] as? [String: String] ?? [:]
                guard let traceID = exemplarLabels["trace_id"] ?? exemplarLabels["traceID"] else { continue }
                out.append(
                    Exemplar(
                        seriesLabels: labels, traceID: traceID, value: Self.number(item["value"] ?? "NaN"),
                        time: Self.number(item["timestamp"] ?? "NaN")))
            }
        }
        return out
    }
}

extension PrometheusClient {
    /// The timestamps (Unix seconds) of the raw samples `selector` has in the `seconds` before `time`:
    /// an instant query of a range vector (`up{job="client"}[25s]`), first series.
    public func sampleTimes(_ selector: String, seconds: Int, at time: Double) async throws -> [Double] {
        let query = "\(selector)[\(seconds)s]"
        var components = URLComponents(string: baseURL + "/api/v1/query")!
        components.queryItems = [
            URLQueryItem(name: "query", value: query), URLQueryItem(name: "time", value: String(format: "%.3f", time)),
        ]
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        let response = try await http.execute(HTTPClientRequest(url: components.string!), timeout: .seconds(15))
        let body = try await response.body.collect(upTo: 8 << 20)
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any],
            let data = object["data"] as? [String: Any], let result = data["result"] as? [[String: Any]]
        else { throw QueryError(query: query, message: "HTTP \(response.status.code)") }
        return (result.first?["values"] as? [[Any]] ?? []).compactMap { $0.first.map(Self.number) }
    }
}

/// The series selectors of a PromQL expression (`metric{label="v", other=~"a|b"}`), enough to tell
/// which panel an exemplar belongs to. Not a PromQL parser: it finds `name{…}` and `name` tokens that
/// end in `_bucket`, and their matchers.
struct SeriesSelector: Sendable, Equatable {
    struct Matcher: Sendable, Equatable {
        var label: String
        var op: String
        var value: String
    }

    var metric: String
    var matchers: [Matcher]

    /// The `_bucket` selectors in `expression`.
    static func buckets(in expression: String) -> [SeriesSelector] {
        var out: [SeriesSelector] = []
        let chars = Array(expression)
        var i = 0
        while i < chars.count {
            guard chars[i].isLetter || chars[i] == "_" || chars[i] == ":" else {
                i += 1
                continue
            }
            let start = i
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == ":" { i += 1 }
            let name = String(chars[start..<i])
            guard name.hasSuffix("_bucket") else { continue }
            var matchers: [Matcher] = []
            if i < chars.count, chars[i] == "{", let close = closingBrace(chars, from: i) {
                matchers = parseMatchers(String(chars[(i + 1)..<close]))
                i = close + 1
            }
            out.append(SeriesSelector(metric: name, matchers: matchers))
        }
        return out
    }

    /// The `}` that closes the selector opened at `start`, skipping quoted values (`"/quote/{id}"`).
    static func closingBrace(_ chars: [Character], from start: Int) -> Int? {
        var quote: Character?
        var i = start + 1
        while i < chars.count {
            let c = chars[i]
            if let q = quote {
                if c == "\\" { i += 1 } else if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "}" {
                return i
            }
            i += 1
        }
        return nil
    }

    static func parseMatchers(_ text: String) -> [Matcher] {
        var out: [Matcher] = []
        var rest = Substring(text)
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            let label = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            guard !label.isEmpty else { break }
            rest = rest.dropFirst(label.count).drop { $0 == " " }
            let op = ["=~", "!~", "!=", "="].first { rest.hasPrefix($0) } ?? ""
            guard !op.isEmpty else { break }
            rest = rest.dropFirst(op.count).drop { $0 == " " }
            guard let quote = rest.first, quote == "\"" || quote == "'" else { break }
            rest = rest.dropFirst()
            var value = ""
            while let c = rest.first, c != quote {
                if c == "\\", rest.count > 1 {
                    value.append(rest.dropFirst().first!)
                    rest = rest.dropFirst(2)
                    continue
                }
                value.append(c)
                rest = rest.dropFirst()
            }
            rest = rest.dropFirst()
            out.append(Matcher(label: String(label), op: op, value: value))
        }
        return out
    }

    func matches(_ labels: [String: String]) -> Bool {
        guard labels["__name__"] == metric else { return false }
        for m in matchers {
            let actual = labels[m.label] ?? ""
            switch m.op {
            case "=": if actual != m.value { return false }
            case "!=": if actual == m.value { return false }
            case "=~", "!~":
                let regex = try? NSRegularExpression(pattern: "^(?:" + m.value + ")$")
                let found = regex?.firstMatch(in: actual, range: NSRange(actual.startIndex..., in: actual)) != nil
                if found != (m.op == "=~") { return false }
            default: return false
            }
        }
        return true
    }
}

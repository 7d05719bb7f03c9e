import Foundation
import Hummingbird
import LabKit
import Telemetry

/// Jaeger's HTTP query API (the one its UI and Grafana's Jaeger data source call) over the trace
/// store. Every answer is Jaeger's envelope: `{"data": …, "total": n, "limit": 0, "offset": 0, "errors": null}`.
struct JaegerAPI: Sendable {
    let store: TraceStore

    /// `GET /api/services`
    func services() -> Response {
        envelope(.array(store.services().map(JSONValue.string)))
    }

    /// `GET /api/services/{service}/operations`: the operation names.
    func operations(_ service: String) -> Response {
        let names = Array(Set(store.operations(service: service).map(\.name))).sorted()
        return envelope(.array(names.map(JSONValue.string)))
    }

    /// `GET /api/operations?service=&spanKind=`: names with their span kinds.
    func operations(query: [(key: String, value: String)]) throws -> Response {
        guard let service = ConsoleHTTP.value(query, "service"), !service.isEmpty else {
            throw ConsoleRequestError(status: 400, parameter: "service", "parameter 'service' is required")
        }
        let kind = ConsoleHTTP.value(query, "spanKind").flatMap { $0.isEmpty ? nil : $0 }
        let rows = store.operations(service: service).compactMap { op -> JSONValue? in
            let name = JaegerTraceEncoder.spanKindName(op.kind) ?? ""
            if let kind, kind != name { return nil }
            return .object(["name": .string(op.name), "spanKind": .string(name)])
        }
        return envelope(.array(rows))
    }

    /// `GET /api/traces?service=&operation=&tags=&minDuration=&maxDuration=&start=&end=&limit=`, or
    /// `?traceID=a&traceID=b` for given traces.
    func traces(_ query: [(key: String, value: String)]) throws -> Response {
        let ids = query.filter { $0.key == "traceID" }.map(\.value)
        if !ids.isEmpty {
            let traces = try store.traces(try ids.map { try Self.traceID($0, parameter: "traceID") })
            return envelope(.array(traces.map(JaegerTraceEncoder.encode)))
        }
        let search = try JaegerQuery.search(query)
        guard search.service != nil else {
            throw ConsoleRequestError(status: 400, parameter: "service", "parameter 'service' is required (or give traceID)")
        }
        let traces = try store.traces(store.search(search).map(\.traceID))
        return envelope(.array(traces.map(JaegerTraceEncoder.encode)))
    }

    /// `GET /api/traces/{traceID}`: 404 when the store does not hold it.
    func trace(_ text: String) throws -> Response {
        let id = try Self.traceID(text, parameter: "traceID")
        guard let trace = try store.trace(id) else {
            throw ConsoleRequestError(status: 404, parameter: "traceID", "trace not found: \(text)")
        }
        return envelope(.array([JaegerTraceEncoder.encode(trace)]))
    }

    /// `GET /api/dependencies?endTs=&lookback=` (milliseconds): calls between services.
    func dependencies(_ query: [(key: String, value: String)]) throws -> Response {
        func milliseconds(_ name: String) throws(ConsoleRequestError) -> UInt64? {
            guard let text = ConsoleHTTP.value(query, name), !text.isEmpty else { return nil }
            guard let ms = UInt64(text), ms < UInt64.max / 1_000_000 else { throw .badParameter(name, text, expected: "milliseconds") }
            return ms * 1_000_000
        }
        let end = try milliseconds("endTs") ?? UInt64(Date().timeIntervalSince1970 * 1e9)
        let lookback = try milliseconds("lookback") ?? 3_600_000_000_000
        let edges = store.dependencies(startNanos: end > lookback ? end - lookback : 0, endNanos: end)
        return envelope(
            .array(
                edges.map {
                    .object(["parent": .string($0.parent), "child": .string($0.child), "callCount": .number(Double($0.callCount))])
                }))
    }

    /// A trace id as Jaeger takes it: up to 32 hex digits (shorter ones are zero-padded on the left).
    static func traceID(_ text: String, parameter: String) throws(ConsoleRequestError) -> TraceID {
        let hex = text.lowercased()
        guard !hex.isEmpty, hex.count <= 32, hex.allSatisfy(\.isHexDigit),
            let id = TraceID(hex: Substring(String(repeating: "0", count: 32 - hex.count) + hex)), id.isValid
        else { throw .badParameter(parameter, text, expected: "a trace id of 1 to 32 hex digits, not all zero") }
        return id
    }

    func envelope(_ data: JSONValue) -> Response {
        let total: Int = if case .array(let items) = data { items.count } else { 0 }
        return ConsoleHTTP.json(["data": data, "total": .number(Double(total)), "limit": 0, "offset": 0, "errors": .null])
    }
}

import Foundation
import XCTest

@testable import Telemetry

/// Runs the Python scripts in Tests/TelemetryTests/Python with the project's interpreter (env
/// LAB_PYTHON, else <repo>/.venv/bin/python, which `make setup` creates). A missing interpreter or
/// package is a test FAILURE, never a skip: the independent check must not silently disappear.
enum PythonPeer {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The repository root, found from this file's path (symlinks resolved, so scratch packages work).
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent() // OTLP
            .deletingLastPathComponent() // TelemetryTests
            .deletingLastPathComponent() // Tests
            .deletingLastPathComponent()
    }

    static var scriptsDirectory: URL {
        repositoryRoot.appendingPathComponent("Tests/TelemetryTests/Python")
    }

    static var interpreter: String {
        if let env = ProcessInfo.processInfo.environment["LAB_PYTHON"], !env.isEmpty { return env }
        return repositoryRoot.appendingPathComponent(".venv/bin/python").path
    }

    /// Runs `script` with `arguments`; returns stderr on success, throws with stderr on failure.
    @discardableResult
    static func run(_ script: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let python = interpreter
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Failure(
                description:
                    "Python interpreter \(python) is missing: run `make setup` (creates .venv with opentelemetry-proto) or set LAB_PYTHON")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [scriptsDirectory.appendingPathComponent(script).path] + arguments
        let errorFile = try TemporaryFiles.make("stderr")
        let errorHandle = try FileHandle(forWritingTo: errorFile)
        process.standardError = errorHandle
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try errorHandle.close()
        let stderr = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        if stderr.contains("ModuleNotFoundError") {
            throw Failure(description: "the Python peer lacks a package (run `make setup`): \(stderr)")
        }
        return (process.terminationStatus, stderr)
    }
}

enum TemporaryFiles {
    static let directory: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("telemetry-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }()

    static func make(_ name: String) throws -> URL {
        let url = directory.appendingPathComponent("\(UUID().uuidString)-\(name)")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw PythonPeer.Failure(description: "cannot create \(url.path)")
        }
        return url
    }
}

/// The canonical JSON shape that otlp_peer.py prints (see its docstring), built from our model, and
/// a field-by-field comparison that names the first differing paths.
enum CanonicalJSON {
    /// Lists every path at which `a` and `b` differ (empty when equal).
    private static func isNaNBits(_ hex: String) -> Bool {
        hex.count == 16 && (UInt64(hex, radix: 16).map { Double(bitPattern: $0).isNaN } ?? false)
    }

    static func differences(_ a: Any, _ b: Any, path: String = "$") -> [String] {
        switch (a, b) {
        case (let a as [String: Any], let b as [String: Any]):
            var out: [String] = []
            for key in Set(a.keys).union(b.keys).sorted() {
                guard let x = a[key] else {
                    out.append("\(path).\(key): missing on the left")
                    continue
                }
                guard let y = b[key] else {
                    out.append("\(path).\(key): missing on the right")
                    continue
                }
                if key == "attributes", let x = x as? [[String: Any]], let y = y as? [[String: Any]] {
                    out += differences(byKey(x), byKey(y), path: "\(path).\(key)")
                } else {
                    out += differences(x, y, path: "\(path).\(key)")
                }
            }
            return out
        case (let a as [Any], let b as [Any]):
            guard a.count == b.count else { return ["\(path): \(a.count) elements vs \(b.count)"] }
            return zip(a, b).enumerated().flatMap { differences($1.0, $1.1, path: "\(path)[\($0)]") }
        case (let a as String, let b as String):
            // A double value is the hex of its bits; our decoder reads every NaN as the canonical one
            // (OTLP/JSON cannot carry a NaN's payload), Python keeps the payload: NaN equals NaN here.
            if path.hasSuffix(".value"), isNaNBits(a), isNaNBits(b) { return [] }
            return a == b ? [] : ["\(path): \(a.debugDescription.prefix(200)) vs \(b.debugDescription.prefix(200))"]
        default:
            return ["\(path): different shapes \(type(of: a)) vs \(type(of: b))"]
        }
    }

    /// OTLP attributes are a list whose order carries no meaning (our exporter writes a span's in the
    /// facade dictionary's order): compared sorted by key.
    private static func byKey(_ attributes: [[String: Any]]) -> [Any] {
        attributes.sorted { ($0["key"] as? String ?? "") < ($1["key"] as? String ?? "") }
    }

    static func parse(_ url: URL) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url), options: [.fragmentsAllowed])
    }
}

extension OTLP.ExportTraceServiceRequest {
    var json: Any {
        [
            "resource_spans": resourceSpans.map { rs -> Any in
                [
                    "resource": [
                        "attributes": rs.resource.attributes.map(\.json),
                        "dropped_attributes_count": String(rs.resource.droppedAttributesCount),
                    ],
                    "scope_spans": rs.scopeSpans.map { ss -> Any in
                        [
                            "scope": [
                                "name": ss.scope.name, "version": ss.scope.version,
                                "attributes": ss.scope.attributes.map(\.json),
                                "dropped_attributes_count": String(ss.scope.droppedAttributesCount),
                            ],
                            "spans": ss.spans.map(\.json),
                            "schema_url": ss.schemaURL,
                        ]
                    },
                    "schema_url": rs.schemaURL,
                ]
            }
        ]
    }
}

extension OTLP.Span {
    var json: Any {
        [
            "trace_id": traceID.hexString, "span_id": spanID.hexString, "trace_state": traceState,
            "parent_span_id": parentSpanID.hexString, "flags": String(flags), "name": name, "kind": String(kind),
            "start_time_unix_nano": String(startTimeUnixNano), "end_time_unix_nano": String(endTimeUnixNano),
            "attributes": attributes.map(\.json), "dropped_attributes_count": String(droppedAttributesCount),
            "events": events.map { e -> Any in
                [
                    "time_unix_nano": String(e.timeUnixNano), "name": e.name, "attributes": e.attributes.map(\.json),
                    "dropped_attributes_count": String(e.droppedAttributesCount),
                ]
            },
            "dropped_events_count": String(droppedEventsCount),
            "links": links.map { l -> Any in
                [
                    "trace_id": l.traceID.hexString, "span_id": l.spanID.hexString, "trace_state": l.traceState,
                    "attributes": l.attributes.map(\.json), "dropped_attributes_count": String(l.droppedAttributesCount),
                    "flags": String(l.flags),
                ]
            },
            "dropped_links_count": String(droppedLinksCount),
            "status": ["message": status.message, "code": String(status.code)],
        ]
    }
}

extension OTLP.KeyValue {
    var json: Any { ["key": key, "value": value.json] }
}

extension OTLP.AnyValue {
    var json: Any {
        switch self {
        case .empty: ["oneof": "", "value": ""]
        case .string(let s): ["oneof": "string_value", "value": s]
        case .bool(let b): ["oneof": "bool_value", "value": b ? "true" : "false"]
        case .int(let i): ["oneof": "int_value", "value": String(i)]
        case .double(let d):
            ["oneof": "double_value", "value": String(d.bitPattern, radix: 16).leftPadded(to: 16)]
        case .bytes(let b): ["oneof": "bytes_value", "value": b.hexString]
        case .array(let a): ["oneof": "array_value", "value": a.map(\.json)]
        case .kvlist(let kv): ["oneof": "kvlist_value", "value": kv.map(\.json)]
        }
    }
}

extension [UInt8] {
    var hexString: String { map { String($0, radix: 16).leftPadded(to: 2) }.joined() }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: Swift.max(0, width - count)) + self }
}

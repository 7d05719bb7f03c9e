import Foundation
import Logging
import Metrics
import Synchronization

/// The lab's own run-time knobs (`strategy`, `retries`, `cache_enabled`, …): strings, numbers and bools.
///
/// Starts from the `LAB_CONFIG` environment variable (a JSON object) and changes through
/// `PUT /admin/config`, so a scenario can switch a running service from its *before* to its *after*
/// behaviour. Lab code reads it on every request (`context.config.string("strategy")`), never caches it.
public final class LabConfig: Sendable {
    public enum Value: Sendable, Hashable {
        case string(String)
        case number(Double)
        case bool(Bool)

        var json: JSONValue {
            switch self {
            case .string(let s): .string(s)
            case .number(let d): .number(d)
            case .bool(let b): .bool(b)
            }
        }
    }

    private let values: Mutex<[String: Value]>
    private let logger: Logger

    public init(_ initial: [String: Value] = [:], logger: Logger = Logger(label: "lab.config")) {
        self.values = Mutex(initial)
        self.logger = logger
        for (key, value) in initial { Self.publish(key: key, old: nil, new: value) }
    }

    // MARK: Reading (what lab code calls)

    public subscript(key: String) -> Value? { values.withLock { $0[key] } }

    public func string(_ key: String, default fallback: String? = nil) -> String? {
        switch self[key] {
        case .string(let s)?: s
        case .number(let d)?: d.rounded() == d ? String(Int64(d)) : String(d)
        case .bool(let b)?: String(b)
        case nil: fallback
        }
    }

    public func double(_ key: String, default fallback: Double? = nil) -> Double? {
        switch self[key] {
        case .number(let d)?: d
        case .string(let s)?: Double(s) ?? fallback
        default: fallback
        }
    }

    public func int(_ key: String, default fallback: Int? = nil) -> Int? {
        double(key).map { Int($0) } ?? fallback
    }

    public func bool(_ key: String, default fallback: Bool? = nil) -> Bool? {
        switch self[key] {
        case .bool(let b)?: b
        case .string(let s)?: ["true", "1", "yes", "on"].contains(s.lowercased())
        case .number(let d)?: d != 0
        case nil: fallback
        }
    }

    public var snapshot: [String: Value] { values.withLock { $0 } }

    // MARK: Changing

    /// Sets the given knobs (a JSON `null` removes one); other knobs stay as they are.
    /// Each change is logged with its old and new value.
    public func apply(_ changes: [String: Value?]) {
        let applied: [(String, Value?, Value?)] = values.withLock { current in
            changes.sorted { $0.key < $1.key }.compactMap { key, new in
                let old = current[key]
                guard old != new else { return nil }
                current[key] = new
                return (key, old, new)
            }
        }
        for (key, old, new) in applied {
            logger.info(
                "config changed",
                metadata: [
                    "config.key": "\(key)", "config.old": "\(old.map(Self.text) ?? "unset")",
                    "config.new": "\(new.map(Self.text) ?? "unset")",
                ]
            )
            Self.publish(key: key, old: old, new: new)
        }
    }

    /// Parses a `PUT /admin/config` body: a flat object of string/number/bool (or null to unset).
    public static func parseChanges(_ body: JSONValue) throws(JSONFieldError) -> [String: Value?] {
        guard case .object(let fields) = body else { throw JSONFieldError("body: expected a JSON object of string/number/bool values") }
        var out: [String: Value?] = [:]
        for (key, value) in fields {
            switch value {
            case .string(let s): out[key] = .string(s)
            case .number(let d): out[key] = .number(d)
            case .bool(let b): out[key] = .bool(b)
            case .null: out[key] = .some(nil)
            case .array, .object: throw JSONFieldError(field: key, "expected a string, number, bool or null")
            }
        }
        return out
    }

    /// Reads `LAB_CONFIG` (a JSON object); a malformed value is a startup error naming the field.
    public static func fromEnvironment(_ env: [String: String], logger: Logger) throws -> LabConfig {
        guard let raw = env["LAB_CONFIG"], !raw.isEmpty else { return LabConfig(logger: logger) }
        do {
            let changes = try parseChanges(try JSONValue.parse(Array(raw.utf8)))
            return LabConfig(changes.compactMapValues { $0 }, logger: logger)
        } catch {
            throw LabStartupError("LAB_CONFIG: \(error.message)")
        }
    }

    var json: JSONValue { .object(snapshot.mapValues(\.json)) }

    private static func text(_ v: Value) -> String { v.json.description }

    /// Numbers and bools are gauges `lab_config_value{key}`; strings are `lab_config_info{key,value}` = 1
    /// (the old string's series drops to 0), so dashboards can annotate when a knob flipped.
    private static func publish(key: String, old: Value?, new: Value?) {
        if case .string(let s)? = old { Gauge(label: "lab_config_info", dimensions: [("key", key), ("value", s)]).record(0) }
        switch new {
        case .string(let s)?: Gauge(label: "lab_config_info", dimensions: [("key", key), ("value", s)]).record(1)
        case .number(let d)?: Gauge(label: "lab_config_value", dimensions: [("key", key)]).record(d)
        case .bool(let b)?: Gauge(label: "lab_config_value", dimensions: [("key", key)]).record(b ? 1 : 0)
        case nil: break
        }
    }
}

/// A configuration problem found while starting a service; `labsvc` prints it on one line.
public struct LabStartupError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

import Foundation
import LabKit
import Yams

/// Typed, line-aware access to one YAML node of a manifest. Every failure is a `ManifestError`
/// naming the file, the node's line and the field's path.
struct NodeReader {
    let node: Node
    /// The field's path from the document root (`services[1].env.PORT`).
    let path: String
    let file: String
    /// The line of the key this value belongs to: errors about a whole field point there
    /// (a block mapping or list starts on the line after its key).
    var keyLine: Int? = nil

    var line: Int { keyLine ?? node.mark?.line ?? 1 }

    func error(_ message: String) -> ManifestError {
        ManifestError(file: file, line: line, field: path, message: message)
    }

    var isNull: Bool {
        if case .scalar(let scalar) = node {
            return scalar.tag == .init(.null) || (scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string))
        }
        return false
    }

    /// What the node is, for "expected …, found …" messages.
    var kindName: String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        case .scalar:
            if isNull {
                "nothing"
            } else if node.int != nil && node.scalar?.style == .plain {
                "a number"
            } else if node.bool != nil && node.scalar?.style == .plain {
                "a boolean"
            } else {
                "'\(node.scalar?.string ?? "")'"
            }
        }
    }

    // MARK: scalars

    /// Any non-null scalar as text (numbers and booleans included, as written).
    func scalarText() throws -> String {
        guard case .scalar(let scalar) = node, !isNull else { throw error("expected a value, found \(kindName)") }
        return scalar.string
    }

    func string() throws -> String {
        guard case .scalar(let scalar) = node, !isNull else { throw error("expected a string, found \(kindName)") }
        return scalar.string
    }

    func nonEmptyString() throws -> String {
        let value = try string()
        guard !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw error("must not be empty") }
        return value
    }

    /// A lower-case name: letters, digits and `-` (roles, slugs, variants, phases).
    func identifier() throws -> String {
        let value = try string()
        guard value.range(of: #"^[a-z][a-z0-9_-]*$"#, options: .regularExpression) != nil else {
            throw error("'\(value)' is not a valid name (lower-case letters, digits, '-' or '_', starting with a letter)")
        }
        return value
    }

    func int() throws -> Int {
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = node.int else {
            throw error("expected a whole number, found \(kindName)")
        }
        return value
    }

    func double() throws -> Double {
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = node.float, value.isFinite else {
            throw error("expected a number, found \(kindName)")
        }
        return value
    }

    func positiveDouble() throws -> Double {
        let value = try double()
        guard value > 0 else { throw error("must be greater than 0, found \(value.formatted())") }
        return value
    }

    func bool() throws -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = node.bool else {
            throw error("expected true or false, found \(kindName)")
        }
        return value
    }

    /// "10s", "500ms", "1.5m", "1h", "1m30s" → seconds, at most `LabLimits.maxDurationSeconds`.
    func durationSeconds() throws -> (text: String, seconds: Double) {
        let text = try scalarText()
        guard let seconds = LabDuration.parse(text) else {
            throw error("'\(text.count > 40 ? String(text.prefix(40)) + "…" : text)' is not a duration (write e.g. '10s', '500ms', '2m')")
        }
        guard seconds <= LabLimits.maxDurationSeconds else {
            let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
            throw error("'\(shown)' is longer than the limit of \(LabDurationFormat.text(LabLimits.maxDurationSeconds)) (24h)")
        }
        return (text, seconds)
    }

    /// A whole number within `range`.
    func int(in range: ClosedRange<Int>) throws -> Int {
        let value = try int()
        guard range.contains(value) else { throw error("must be between \(range.lowerBound) and \(range.upperBound), found \(value)") }
        return value
    }

    /// A number greater than 0 and at most `limit`.
    func positiveDouble(atMost limit: Double) throws -> Double {
        let value = try positiveDouble()
        guard value <= limit else { throw error("must be at most \(limit.formatted()), found \(value)") }
        return value
    }

    // MARK: collections

    func sequence() throws -> [NodeReader] {
        guard case .sequence(let items) = node else { throw error("expected a list, found \(kindName)") }
        return items.enumerated().map { NodeReader(node: $1, path: "\(path)[\($0)]", file: file) }
    }

    /// A list of strings; a single string is accepted as a list of one.
    func stringList() throws -> [String] {
        if case .scalar = node, !isNull { return [try string()] }
        return try sequence().map { try $0.string() }
    }

    /// A mapping whose keys must be among `allowed`.
    func mapping(allowed: [String]) throws -> MappingReader {
        let reader = try anyMapping()
        for (key, keyReader) in reader.keyReaders where !allowed.contains(key) {
            let hint =
                DidYouMean.suggestion(for: key, among: allowed).map { "; did you mean '\($0)'?" }
                ?? "; expected one of: \(allowed.joined(separator: ", "))"
            throw ManifestError(file: file, line: keyReader.line, field: keyReader.path, message: "unknown field\(hint)")
        }
        return reader
    }

    /// A mapping with free keys (environment, variants by name, …).
    func anyMapping() throws -> MappingReader {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping, found \(kindName)") }
        var entries: [(key: String, keyReader: NodeReader, value: NodeReader)] = []
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw NodeReader(node: keyNode, path: path, file: file).error("keys must be plain names")
            }
            let key = keyScalar.string
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            if entries.contains(where: { $0.key == key }) {
                throw NodeReader(node: keyNode, path: childPath, file: file).error("appears twice")
            }
            entries.append(
                (
                    key, NodeReader(node: keyNode, path: childPath, file: file),
                    NodeReader(node: valueNode, path: childPath, file: file, keyLine: keyNode.mark?.line)
                ))
        }
        return MappingReader(owner: self, entries: entries)
    }

    /// String → string (numbers and booleans become their text), e.g. environment variables.
    func stringMap() throws -> [String: String] {
        var result: [String: String] = [:]
        for entry in try anyMapping().entries {
            result[entry.key] = try entry.value.scalarText()
        }
        return result
    }

    /// Any YAML value as JSON.
    func json() throws -> JSONValue {
        switch node {
        case .mapping:
            var object: [String: JSONValue] = [:]
            for entry in try anyMapping().entries { object[entry.key] = try entry.value.json() }
            return .object(object)
        case .sequence:
            return .array(try sequence().map { try $0.json() })
        case .alias:
            throw error("aliases are not supported")
        case .scalar(let scalar):
            if isNull { return .null }
            if scalar.style == .plain {
                if let value = node.bool { return .bool(value) }
                if let value = node.int { return .number(Double(value)) }
                if let value = node.float, value.isFinite { return .number(value) }
            }
            return .string(scalar.string)
        }
    }

    func jsonObject() throws -> [String: JSONValue] {
        guard case .object(let object) = try json() else { throw error("expected a mapping, found \(kindName)") }
        return object
    }
}

/// The entries of one YAML mapping, in document order.
struct MappingReader {
    let owner: NodeReader
    let entries: [(key: String, keyReader: NodeReader, value: NodeReader)]

    var keyReaders: [(String, NodeReader)] { entries.map { ($0.key, $0.keyReader) } }
    var keys: [String] { entries.map(\.key) }

    /// The value under `key`, nil when absent or explicitly empty.
    func optional(_ key: String) -> NodeReader? {
        guard let value = entries.first(where: { $0.key == key })?.value, !value.isNull else { return nil }
        return value
    }

    func required(_ key: String) throws -> NodeReader {
        if let value = optional(key) { return value }
        let path = owner.path.isEmpty ? key : "\(owner.path).\(key)"
        let line = entries.first(where: { $0.key == key })?.keyReader.line ?? owner.line
        throw ManifestError(file: owner.file, line: line, field: path, message: "is required")
    }

    func contains(_ key: String) -> Bool { optional(key) != nil }
}

/// Durations as lab authors write them.
public enum LabDuration {
    /// "10s", "500ms", "1.5m", "2h", "1m30s"; "0" is zero. Nil if malformed or beyond any Double.
    public static func seconds(_ text: String) -> Double? {
        parse(text).flatMap { $0.isFinite ? $0 : nil }
    }

    /// As `seconds`, but a well-formed duration too long for a Double is infinity (so the error
    /// can say "too long" rather than "not a duration").
    static func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "0" { return 0 }
        var total = 0.0
        var rest = Substring(trimmed)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            guard let value = Double(number) else { return nil }
            switch unit {
            case "ms": total += value / 1000
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            default: return nil
            }
        }
        return total
    }
}

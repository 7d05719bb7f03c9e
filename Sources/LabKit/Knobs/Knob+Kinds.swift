import Foundation

// The kinds of knob. Each constructor fixes what the listing shows and what the error says.

extension Knob where Value == Bool {
    /// `on`/`off`; also `true`/`false`, `1`/`0`, `yes`/`no`, in any case.
    public static func flag(_ name: String, default defaultValue: Bool, _ meaning: String) -> Knob {
        Knob(
            KnobSpec(name: name, kind: .flag, defaultText: defaultValue ? "on" : "off", allowed: "on, off", meaning: meaning),
            default: defaultValue, expected: "one of on, off (also true/false, 1/0, yes/no)"
        ) { text in
            switch text.lowercased() {
            case "on", "true", "1", "yes": true
            case "off", "false", "0", "no": false
            default: nil
            }
        }
    }
}

extension Knob where Value == Duration {
    /// A duration written as whole milliseconds (`CB_WAIT_MS=3000`).
    public static func milliseconds(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>, _ meaning: String) -> Knob {
        milliseconds(name, default: defaultValue, KnobBounds(range), meaning)
    }

    /// A duration written as whole milliseconds, with no upper bound (`0...`).
    public static func milliseconds(_ name: String, default defaultValue: Int, in range: PartialRangeFrom<Int>, _ meaning: String) -> Knob {
        milliseconds(name, default: defaultValue, KnobBounds(range), meaning)
    }

    private static func milliseconds(_ name: String, default defaultValue: Int, _ bounds: KnobBounds<Int>, _ meaning: String) -> Knob {
        precondition(bounds.contains(defaultValue), "\(name): default \(defaultValue) is outside \(bounds)")
        return Knob(
            KnobSpec(name: name, kind: .milliseconds, defaultText: "\(defaultValue)", allowed: bounds.description, meaning: meaning),
            default: .milliseconds(defaultValue), expected: "whole milliseconds \(bounds.phrase)"
        ) { text in
            Int(text).flatMap { bounds.contains($0) ? .milliseconds($0) : nil }
        }
    }
}

extension Knob where Value == Int {
    /// A whole number (`CB_WINDOW_SIZE=20`).
    public static func wholeNumber(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>, _ meaning: String) -> Knob {
        wholeNumber(name, default: defaultValue, KnobBounds(range), meaning)
    }

    /// A whole number with no upper bound (`0...`).
    public static func wholeNumber(_ name: String, default defaultValue: Int, in range: PartialRangeFrom<Int>, _ meaning: String) -> Knob {
        wholeNumber(name, default: defaultValue, KnobBounds(range), meaning)
    }

    private static func wholeNumber(_ name: String, default defaultValue: Int, _ bounds: KnobBounds<Int>, _ meaning: String) -> Knob {
        precondition(bounds.contains(defaultValue), "\(name): default \(defaultValue) is outside \(bounds)")
        return Knob(
            KnobSpec(name: name, kind: .wholeNumber, defaultText: "\(defaultValue)", allowed: bounds.description, meaning: meaning),
            default: defaultValue, expected: "a whole number \(bounds.phrase)"
        ) { text in
            Int(text).flatMap { bounds.contains($0) ? $0 : nil }
        }
    }
}

extension Knob where Value == Double {
    /// A number (`CB_FAILURE_RATE=50`, `ABANDON_RATE=0.2`).
    public static func number(_ name: String, default defaultValue: Double, in range: ClosedRange<Double>, _ meaning: String) -> Knob {
        number(name, default: defaultValue, KnobBounds(range), meaning)
    }

    /// A number above `lowerBound` (excluded) and at most `upperBound` (`RETRY_BUDGET_RATIO`: > 0 and <= 10).
    public static func number(
        _ name: String, default defaultValue: Double, above lowerBound: Double, atMost upperBound: Double, _ meaning: String
    ) -> Knob {
        number(name, default: defaultValue, KnobBounds(above: lowerBound, atMost: upperBound), meaning)
    }

    private static func number(_ name: String, default defaultValue: Double, _ bounds: KnobBounds<Double>, _ meaning: String) -> Knob {
        precondition(bounds.contains(defaultValue), "\(name): default \(defaultValue) is outside \(bounds)")
        return Knob(
            KnobSpec(
                name: name, kind: .number, defaultText: KnobBounds<Double>.text(defaultValue), allowed: bounds.description,
                meaning: meaning),
            default: defaultValue, expected: "a number \(bounds.phrase)"
        ) { text in
            Double(text).flatMap { $0.isFinite && bounds.contains($0) ? $0 : nil }
        }
    }
}

extension Knob where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
    /// One of an enum's cases, by raw value, in any case (`STRATEGY=budget` → `.budget`).
    public static func choice(_ name: String, default defaultValue: Value, _ meaning: String) -> Knob {
        let names = Value.allCases.map(\.rawValue)
        return Knob(
            KnobSpec(
                name: name, kind: .choice, defaultText: defaultValue.rawValue, allowed: names.joined(separator: ", "), meaning: meaning),
            default: defaultValue, expected: "one of \(names.joined(separator: ", "))"
        ) { text in
            Value.allCases.first { $0.rawValue.lowercased() == text.lowercased() }
        }
    }
}

extension Knob where Value == String {
    /// One of a few words, in any case; the value is the word as declared (`CB_WINDOW_TYPE=count`).
    public static func choice(_ name: String, among names: [String], default defaultValue: String, _ meaning: String) -> Knob {
        precondition(names.contains(defaultValue), "\(name): default '\(defaultValue)' is not among \(names)")
        return Knob(
            KnobSpec(name: name, kind: .choice, defaultText: defaultValue, allowed: names.joined(separator: ", "), meaning: meaning),
            default: defaultValue, expected: "one of \(names.joined(separator: ", "))"
        ) { text in
            names.first { $0.lowercased() == text.lowercased() }
        }
    }

    /// Any text (`HOST=0.0.0.0`).
    public static func string(_ name: String, default defaultValue: String, _ meaning: String) -> Knob {
        Knob(
            KnobSpec(name: name, kind: .string, defaultText: defaultValue, allowed: "any text", meaning: meaning),
            default: defaultValue, expected: "any text"
        ) { $0 }
    }
}

extension Knob where Value == [String] {
    /// One or more `http://` or `https://` URLs, comma-separated (the replicas of a peer). Required.
    public static func urls(_ name: String, _ meaning: String) -> Knob {
        Knob(
            KnobSpec(name: name, kind: .urls, defaultText: nil, allowed: "http(s) URLs, comma-separated", meaning: meaning),
            default: nil, expected: "one or more http:// or https:// URLs, comma-separated"
        ) { text in
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let valid = parts.allSatisfy { part in
                guard let url = URLComponents(string: part) else { return false }
                return ["http", "https"].contains(url.scheme?.lowercased() ?? "") && !(url.host ?? "").isEmpty
            }
            return valid ? parts : nil
        }
    }
}

/// The range a number knob accepts, and how messages and tables write it.
struct KnobBounds<Number: Comparable & Sendable>: Sendable, CustomStringConvertible {
    var lower: Number?
    var lowerExcluded = false
    var upper: Number?

    init(_ range: ClosedRange<Number>) { (lower, upper) = (range.lowerBound, range.upperBound) }
    init(_ range: PartialRangeFrom<Number>) { lower = range.lowerBound }
    init(above lower: Number, atMost upper: Number) { (self.lower, lowerExcluded, self.upper) = (lower, true, upper) }

    func contains(_ value: Number) -> Bool {
        if let lower, lowerExcluded ? value <= lower : value < lower { return false }
        if let upper, value > upper { return false }
        return true
    }

    /// As a table shows it: `1...100`, `>= 0`, `> 0 and <= 10`.
    var description: String {
        switch (lower, upper) {
        case (let lower?, let upper?) where !lowerExcluded: "\(Self.text(lower))...\(Self.text(upper))"
        case (let lower?, let upper?): "> \(Self.text(lower)) and <= \(Self.text(upper))"
        case (let lower?, nil): "\(lowerExcluded ? ">" : ">=") \(Self.text(lower))"
        case (nil, let upper?): "<= \(Self.text(upper))"
        case (nil, nil): "any"
        }
    }

    /// As an error message says it, after "expected a number": `in 1...100`, `>= 0`.
    var phrase: String { lower != nil && upper != nil && !lowerExcluded ? "in \(description)" : description }

    /// `50` rather than `50.0`; `0.1` as it is.
    static func text(_ value: Number) -> String {
        if let double = value as? Double, double.rounded() == double, abs(double) < 1e15 { return String(Int64(double)) }
        return "\(value)"
    }
}

import Foundation

/// One lab knob: an environment variable a lab service reads once, at start (`BREAKER=on`,
/// `CB_WAIT_MS=3000`, `STRATEGY=budget`), declared with its kind, default, allowed values and meaning.
///
/// KEY IDEA: a knob is declared once and that declaration is used three ways — the service reads its
/// value through it (strictly: a value that is not allowed stops the service at start with a line that
/// names the variable, the value and what is allowed), `labsvc knobs <lab>` lists it, and the lab's
/// README table is generated from it. So a typo (`BREAKER=onn`) is an error instead of a silent "off",
/// and the documentation cannot drift from the code.
///
/// ```swift
/// static let breaker = Knob.flag("BREAKER", default: false, "calls go through the circuit breaker")
/// static let timeout = Knob.milliseconds("BACKEND_TIMEOUT_MS", default: 300, in: 1...3_600_000, "one backend call may take this long")
/// …
/// let enabled = try service.knobs.read(Self.breaker)      // Bool
/// ```
///
/// An unset or empty variable means the default (a knob without one is required); surrounding
/// whitespace is ignored.
public struct Knob<Value: Sendable>: LabKnob {
    public let spec: KnobSpec
    /// nil: the knob is required.
    let defaultValue: Value?
    /// What the error message says after "expected" (`one of on, off (also …)`).
    let expected: String
    /// The value of an allowed text, nil for any other.
    let parse: @Sendable (String) -> Value?

    init(_ spec: KnobSpec, default defaultValue: Value?, expected: String, parse: @escaping @Sendable (String) -> Value?) {
        precondition(Knob.isVariableName(spec.name), "knob name '\(spec.name)' is not an environment variable name (A-Z, 0-9, _)")
        self.spec = spec
        self.defaultValue = defaultValue
        self.expected = expected
        self.parse = parse
    }

    /// The knob's value in `environment`: the default when unset or empty, else the parsed text.
    public func value(in environment: [String: String]) throws(KnobError) -> Value {
        let raw = environment[spec.name] ?? ""
        let text = raw.trimmingCharacters(in: .whitespaces)
        if text.isEmpty {
            guard let defaultValue else { throw KnobError(variable: spec.name, problem: .notSet, expected: expected) }
            return defaultValue
        }
        guard let value = parse(text) else { throw KnobError(variable: spec.name, problem: .notAllowed(raw), expected: expected) }
        return value
    }

    public func check(_ environment: [String: String]) throws(KnobError) {
        _ = try value(in: environment)
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}

/// Any knob, whatever its value's type: what lists of knobs hold.
public protocol LabKnob: Sendable {
    var spec: KnobSpec { get }
    /// Throws the error reading the knob from `environment` would throw.
    func check(_ environment: [String: String]) throws(KnobError)
}

/// What a knob is, as listed (`labsvc knobs`, the README tables): everything but how to parse it.
public struct KnobSpec: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case flag
        case milliseconds = "ms"
        case number
        case wholeNumber = "whole number"
        case choice
        case urls = "URL list"
        case string
    }

    /// The environment variable.
    public let name: String
    public let kind: Kind
    /// As it would be written in the environment (`off`, `300`, `naive`); nil: required.
    public let defaultText: String?
    /// The values it takes: `on, off`, `1...3600000`, `naive, backoff, budget`, `>= 0`.
    public let allowed: String
    /// One line: what it changes.
    public let meaning: String
}

/// A knob whose value is not allowed, or a required one that is not set. `labsvc` prints it as the
/// one line of a failed start.
public struct KnobError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Problem: Equatable, Sendable {
        /// Set to this text, which is not one of the allowed values.
        case notAllowed(String)
        /// Required, and unset or empty.
        case notSet
        /// The service read a knob it did not declare (a bug in the lab, not in its configuration).
        case undeclared
    }

    public let variable: String
    public let problem: Problem
    /// What is allowed: `one of on, off (also true/false, 1/0, yes/no)`, `whole milliseconds in 1...3600000`.
    public let expected: String

    public var description: String {
        switch problem {
        case .notAllowed(let value): "\(variable)=\(value): expected \(expected)"
        case .notSet: "\(variable) is not set: expected \(expected)"
        case .undeclared: "\(variable) is read by this service but is not one of its declared knobs (\(expected))"
        }
    }
}

import Foundation

/// The parsed form of an expectation such as `after < before / 3` or `before >= 3.5`:
/// arithmetic over variant names (each standing for that variant's value of the measurement),
/// compared with <, <=, >, >=, == or !=.
public struct ExpectationExpression: Sendable, Equatable, CustomStringConvertible {
    public indirect enum Term: Sendable, Equatable, CustomStringConvertible {
        case number(Double)
        /// A variant name: its measured value.
        case variant(String)
        case negate(Term)
        case binary(Term, Character, Term) // + - * /

        public func evaluate(_ values: [String: Double]) -> Double? {
            switch self {
            case .number(let value): return value
            case .variant(let name): return values[name]
            case .negate(let term): return term.evaluate(values).map { -$0 }
            case .binary(let left, let op, let right):
                guard let l = left.evaluate(values), let r = right.evaluate(values) else { return nil }
                switch op {
                case "+": return l + r
                case "-": return l - r
                case "*": return l * r
                default: return l / r
                }
            }
        }

        public var variants: Set<String> {
            switch self {
            case .number: []
            case .variant(let name): [name]
            case .negate(let term): term.variants
            case .binary(let l, _, let r): l.variants.union(r.variants)
            }
        }

        public var description: String {
            switch self {
            case .number(let value): value.formatted(.number.grouping(.never))
            case .variant(let name): name
            case .negate(let term): "-\(term)"
            case .binary(let l, let op, let r): "(\(l) \(op) \(r))"
            }
        }
    }

    public enum Comparison: String, Sendable, Equatable, CaseIterable {
        case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="

        func holds(_ l: Double, _ r: Double) -> Bool {
            switch self {
            case .less: l < r
            case .lessOrEqual: l <= r
            case .greater: l > r
            case .greaterOrEqual: l >= r
            case .equal: l == r
            case .notEqual: l != r
            }
        }
    }

    public var left: Term
    public var comparison: Comparison
    public var right: Term

    public var variants: Set<String> { left.variants.union(right.variants) }
    public var description: String { "\(left) \(comparison.rawValue) \(right)" }

    /// Whether the claim holds for these per-variant values; nil when a variant's value is missing.
    public func evaluate(_ values: [String: Double]) -> (holds: Bool, left: Double, right: Double)? {
        guard let l = left.evaluate(values), let r = right.evaluate(values) else { return nil }
        return (comparison.holds(l, r), l, r)
    }

    /// Parses `text`; the error message says what is wrong where.
    public static func parse(_ text: String) throws(ExpectationSyntaxError) -> ExpectationExpression {
        var parser = Parser(tokens: try tokenize(text))
        let left = try parser.sum()
        guard case .comparison(let comparison)? = parser.next() else {
            throw ExpectationSyntaxError(message: "expected a comparison (<, <=, >, >=, ==, !=) in '\(text)'")
        }
        let right = try parser.sum()
        guard parser.peek == nil else { throw ExpectationSyntaxError(message: "unexpected '\(parser.peek!)' in '\(text)'") }
        return ExpectationExpression(left: left, comparison: comparison, right: right)
    }

    /// Parses arithmetic without a comparison (`bookings_paid - extra_bookings`): names stand for
    /// whatever the caller evaluates them with (a derived measurement's names are measurements).
    public static func parseArithmetic(_ text: String) throws(ExpectationSyntaxError) -> Term {
        var parser = Parser(tokens: try tokenize(text))
        let term = try parser.sum()
        guard parser.peek == nil else { throw ExpectationSyntaxError(message: "unexpected '\(parser.peek!)' in '\(text)'") }
        return term
    }

    enum Token: Equatable, CustomStringConvertible {
        case number(Double), name(String), op(Character), open, close, comparison(Comparison)
        var description: String {
            switch self {
            case .number(let v): "\(v)"
            case .name(let n): n
            case .op(let c): String(c)
            case .open: "("
            case .close: ")"
            case .comparison(let c): c.rawValue
            }
        }
    }

    static func tokenize(_ text: String) throws(ExpectationSyntaxError) -> [Token] {
        var tokens: [Token] = []
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c.isWhitespace {
                i = text.index(after: i)
                continue
            }
            if c.isNumber || c == "." {
                let end = text[i...].firstIndex { !($0.isNumber || $0 == "." || $0 == "e") } ?? text.endIndex
                guard let value = Double(text[i..<end]) else { throw ExpectationSyntaxError(message: "'\(text[i..<end])' is not a number") }
                tokens.append(.number(value))
                i = end
            } else if c.isLetter || c == "_" {
                let end = text[i...].firstIndex { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") } ?? text.endIndex
                tokens.append(.name(String(text[i..<end])))
                i = end
            } else if "<>=!".contains(c) {
                let two = text[i...].prefix(2)
                if let comparison = Comparison(rawValue: String(two)) {
                    tokens.append(.comparison(comparison))
                    i = text.index(i, offsetBy: 2)
                } else if let comparison = Comparison(rawValue: String(c)) {
                    tokens.append(.comparison(comparison))
                    i = text.index(after: i)
                } else {
                    throw ExpectationSyntaxError(message: "unexpected '\(c)' in '\(text)'")
                }
            } else if "+-*/".contains(c) {
                tokens.append(.op(c))
                i = text.index(after: i)
            } else if c == "(" {
                tokens.append(.open)
                i = text.index(after: i)
            } else if c == ")" {
                tokens.append(.close)
                i = text.index(after: i)
            } else {
                throw ExpectationSyntaxError(message: "unexpected '\(c)' in '\(text)'")
            }
        }
        return tokens
    }

    /// Recursive descent: sum := product (('+'|'-') product)*; product := factor (('*'|'/') factor)*.
    struct Parser {
        var tokens: [Token]
        var position = 0
        var peek: Token? { position < tokens.count ? tokens[position] : nil }
        mutating func next() -> Token? {
            defer { position += 1 }
            return peek
        }

        mutating func sum() throws(ExpectationSyntaxError) -> Term {
            var term = try product()
            while case .op(let op)? = peek, op == "+" || op == "-" {
                position += 1
                term = .binary(term, op, try product())
            }
            return term
        }

        mutating func product() throws(ExpectationSyntaxError) -> Term {
            var term = try factor()
            while case .op(let op)? = peek, op == "*" || op == "/" {
                position += 1
                term = .binary(term, op, try factor())
            }
            return term
        }

        mutating func factor() throws(ExpectationSyntaxError) -> Term {
            switch next() {
            case .number(let value)?: return .number(value)
            case .name(let name)?: return .variant(name)
            case .op("-")?: return .negate(try factor())
            case .open?:
                let inner = try sum()
                guard next() == .close else { throw ExpectationSyntaxError(message: "missing ')'") }
                return inner
            case let token?: throw ExpectationSyntaxError(message: "unexpected '\(token)'")
            case nil: throw ExpectationSyntaxError(message: "the expression ends too early")
            }
        }
    }
}

public struct ExpectationSyntaxError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

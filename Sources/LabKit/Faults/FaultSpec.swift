/// The faults an operator (or a scenario timeline) can switch on in a running service.
///
/// `PUT /admin/faults` replaces the whole set with the kinds named in the body:
/// ```json
/// {"latency": {"fixed_ms": 500, "jitter_ms": 100, "route": "/work", "fraction": 0.5},
///  "error":   {"rate": 0.2, "status": 503},
///  "hang":    {"route": "/work"},
///  "abort":   {}}
/// ```
/// `route` (optional) limits a fault to one route (the pattern, `/items/{id}`, or a concrete path);
/// `fraction`/`rate` is the share of matching requests affected (default 1).
public struct FaultSet: Sendable, Equatable {
    public var latency: LatencyFault?
    public var error: ErrorFault?
    public var hang: HangFault?
    /// Not kept in the set: it ends the process right after the 202 answer.
    public var abort: Bool = false

    public init(latency: LatencyFault? = nil, error: ErrorFault? = nil, hang: HangFault? = nil, abort: Bool = false) {
        self.latency = latency
        self.error = error
        self.hang = hang
        self.abort = abort
    }

    public static let none = FaultSet()

    /// Every kind, in the order `fault_injection_active{kind}` reports them.
    public static let kinds = ["latency", "error", "hang", "abort"]

    public func isActive(_ kind: String) -> Bool {
        switch kind {
        case "latency": latency != nil
        case "error": error != nil
        case "hang": hang != nil
        case "abort": abort
        default: false
        }
    }
}

public struct LatencyFault: Sendable, Equatable {
    public var fixedMs: Double
    public var jitterMs: Double
    public var route: String?
    public var fraction: Double

    public init(fixedMs: Double, jitterMs: Double = 0, route: String? = nil, fraction: Double = 1) {
        self.fixedMs = fixedMs
        self.jitterMs = jitterMs
        self.route = route
        self.fraction = fraction
    }

    /// Fixed delay plus a uniform jitter in [0, jitter_ms].
    func delay() -> Duration {
        .milliseconds(fixedMs + (jitterMs > 0 ? Double.random(in: 0...jitterMs) : 0))
    }
}

public struct ErrorFault: Sendable, Equatable {
    public var rate: Double
    public var status: Int
    public var route: String?

    public init(rate: Double, status: Int = 500, route: String? = nil) {
        self.rate = rate
        self.status = status
        self.route = route
    }
}

public struct HangFault: Sendable, Equatable {
    public var route: String?
    public var fraction: Double

    public init(route: String? = nil, fraction: Double = 1) {
        self.route = route
        self.fraction = fraction
    }
}

// MARK: - JSON

extension FaultSet {
    /// Validates a `PUT /admin/faults` body; errors name the field at fault.
    public init(json: JSONValue) throws(JSONFieldError) {
        let body = try JSONObjectReader(json, path: "")
        try body.allowOnly(Set(Self.kinds))
        self.init()
        if let v = body.fields["latency"], v != .null {
            let f = try JSONObjectReader(v, path: "latency")
            try f.allowOnly(["fixed_ms", "jitter_ms", "route", "fraction"])
            latency = LatencyFault(
                fixedMs: try f.number("fixed_ms", in: 0...3_600_000, expected: "a non-negative number"),
                jitterMs: try f.number("jitter_ms", default: 0, in: 0...3_600_000, expected: "a non-negative number"),
                route: try f.optionalString("route"),
                fraction: try f.number("fraction", default: 1, in: 0...1, expected: "a number between 0 and 1")
            )
        }
        if let v = body.fields["error"], v != .null {
            let f = try JSONObjectReader(v, path: "error")
            try f.allowOnly(["rate", "status", "route"])
            let status = try f.number("status", default: 500, in: 400...599, expected: "an HTTP error status between 400 and 599")
            guard status.rounded() == status else { throw JSONFieldError(field: "error.status", "expected a whole number") }
            error = ErrorFault(
                rate: try f.number("rate", default: 1, in: 0...1, expected: "a number between 0 and 1"),
                status: Int(status),
                route: try f.optionalString("route")
            )
        }
        if let v = body.fields["hang"], v != .null {
            let f = try JSONObjectReader(v, path: "hang")
            try f.allowOnly(["route", "fraction"])
            hang = HangFault(
                route: try f.optionalString("route"),
                fraction: try f.number("fraction", default: 1, in: 0...1, expected: "a number between 0 and 1")
            )
        }
        if let v = body.fields["abort"], v != .null {
            let f = try JSONObjectReader(v, path: "abort")
            try f.allowOnly([])
            abort = true
        }
    }

    public var json: JSONValue {
        var out: [String: JSONValue] = [:]
        func route(_ r: String?) -> [String: JSONValue] { r.map { ["route": .string($0)] } ?? [:] }
        if let l = latency {
            out["latency"] = .object(
                ["fixed_ms": .number(l.fixedMs), "jitter_ms": .number(l.jitterMs), "fraction": .number(l.fraction)]
                    .merging(route(l.route)) { a, _ in a })
        }
        if let e = error {
            out["error"] = .object(["rate": .number(e.rate), "status": .number(Double(e.status))].merging(route(e.route)) { a, _ in a })
        }
        if let h = hang {
            out["hang"] = .object(["fraction": .number(h.fraction)].merging(route(h.route)) { a, _ in a })
        }
        return .object(out)
    }
}

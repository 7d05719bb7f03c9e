// The load generator's own configuration: what to send, how fast, for how long.
// (A lab manifest's scenario is mapped onto these types; the engine knows nothing of manifests.)

/// A run: one target, a timeline of phases played back to back.
public struct LoadPlan: Sendable {
    /// Base URL every request path is appended to, e.g. `http://127.0.0.1:8080`.
    public var target: String
    public var phases: [LoadPhase]
    /// Requests allowed in flight at once. An open-loop request due while the cap is reached is
    /// not sent and counts as `dropped` (client overload) — never silently delayed, which would
    /// hide the server's slowness the way coordinated omission does.
    public var maxInFlight: Int
    /// Connections the generator may open to the target (HTTP/1.1 keep-alive, one request per
    /// connection at a time). Requests beyond it wait for a free connection inside the client —
    /// still in flight, their wait still counted in latency — instead of each opening a new
    /// connection, which under a hiccup snowballs into thousands of connections.
    public var maxConnections: Int
    /// Timeout for request kinds that set none.
    public var defaultTimeout: Duration
    /// Seeds the key and kind choices so two runs send the same sequence; `nil` = random.
    public var seed: UInt64?

    public init(
        target: String,
        phases: [LoadPhase],
        maxInFlight: Int = 1_000,
        maxConnections: Int = 256,
        defaultTimeout: Duration = .seconds(10),
        seed: UInt64? = nil
    ) {
        self.target = target
        self.phases = phases
        self.maxInFlight = maxInFlight
        self.maxConnections = maxConnections
        self.defaultTimeout = defaultTimeout
        self.seed = seed
    }

    /// The sum of the phase durations.
    public var duration: Duration { phases.reduce(.zero) { $0 + $1.duration } }
}

/// One stretch of the timeline with its own arrival model and request mix.
public struct LoadPhase: Sendable {
    public var name: String
    public var duration: Duration
    public var arrivals: ArrivalModel
    /// Weighted request kinds; each request picks one with probability weight / sum of weights.
    public var requests: [RequestKind]

    public init(name: String, duration: Duration, arrivals: ArrivalModel, requests: [RequestKind]) {
        self.name = name
        self.duration = duration
        self.arrivals = arrivals
        self.requests = requests
    }
}

/// How requests arrive.
public enum ArrivalModel: Sendable, Equatable {
    /// Open loop: requests are sent on a timeline set by the rate, whether or not earlier ones
    /// returned — the way independent users arrive at a real service.
    case openLoop(RateProfile)
    /// Closed loop: `users` virtual users, each sends, waits for the reply, thinks, repeats.
    /// A slow server slows the senders down, so this mode under-reports tail latency.
    case closedLoop(users: Int, thinkTime: Duration = .zero)
}

/// The arrival rate over a phase, in requests per second.
public enum RateProfile: Sendable, Equatable {
    /// The same rate for the whole phase.
    case constant(Double)
    /// A linear change from one rate to another across the phase.
    case ramp(from: Double, to: Double)
    /// Equal-length constant steps across the phase: `[100, 200, 400]` over 30 s is 10 s of each.
    case steps([Double])
}

/// One kind of request in a phase's mix.
public struct RequestKind: Sendable {
    /// Names the kind in results and metrics (`loadgen_requests_total{kind=…}`).
    public var name: String
    public var weight: Double
    public var method: String
    /// Path and query appended to the target; `{id}` is a key from `keys`, `{uuid}` a fresh UUID.
    public var path: String
    /// Header values are templates too: `("Idempotency-Key", "{uuid}")`.
    public var headers: [(String, String)]
    /// Body template (`{id}`, `{uuid}`), sent as is; `nil` sends no body.
    public var body: String?
    public var keys: KeyDistribution
    /// Per-request timeout; `nil` uses the plan's default.
    public var timeout: Duration?

    public init(
        name: String,
        weight: Double = 1,
        method: String = "GET",
        path: String,
        headers: [(String, String)] = [],
        body: String? = nil,
        keys: KeyDistribution = .uniform(count: 1_000),
        timeout: Duration? = nil
    ) {
        self.name = name
        self.weight = weight
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.keys = keys
        self.timeout = timeout
    }
}

extension RequestKind {
    /// Where the `{id}` in a request template comes from: keys 1…count.
    public enum KeyDistribution: Sendable, Equatable {
        /// Every key equally likely.
        case uniform(count: Int)
        /// Key k with probability proportional to 1/k^exponent: a few hot keys, a long tail.
        case zipf(count: Int, exponent: Double)
    }
}

/// A plan the engine cannot run, with the field at fault.
public struct LoadPlanError: Error, Equatable, CustomStringConvertible {
    public var field: String
    public var problem: String
    public var description: String { "load plan: \(field): \(problem)" }
}

extension LoadPlan {
    /// Checks every field the engine relies on; throws the first problem found.
    public func validate() throws {
        func fail(_ field: String, _ problem: String) -> LoadPlanError {
            LoadPlanError(field: field, problem: problem)
        }
        guard target.hasPrefix("http://") else {
            throw fail("target", "must start with http:// (the load generator speaks plain HTTP/1.1), got \"\(target)\"")
        }
        guard maxInFlight > 0 else { throw fail("maxInFlight", "must be positive, got \(maxInFlight)") }
        guard maxConnections > 0 else { throw fail("maxConnections", "must be positive, got \(maxConnections)") }
        guard defaultTimeout > .zero else { throw fail("defaultTimeout", "must be positive") }
        guard !phases.isEmpty else { throw fail("phases", "at least one phase is needed") }
        for (p, phase) in phases.enumerated() {
            let at = "phases[\(p)] (\(phase.name))"
            guard phase.duration > .zero else { throw fail("\(at).duration", "must be positive") }
            switch phase.arrivals {
            case .openLoop(let profile):
                let rates: [Double]
                switch profile {
                case .constant(let r): rates = [r]
                case .ramp(let a, let b): rates = [a, b]
                case .steps(let rs):
                    guard !rs.isEmpty else { throw fail("\(at).rate", "steps need at least one rate") }
                    rates = rs
                }
                guard rates.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                    throw fail("\(at).rate", "rates must be finite and not negative, got \(rates)")
                }
            case .closedLoop(let users, let think):
                guard users > 0 else { throw fail("\(at).users", "must be positive, got \(users)") }
                guard think >= .zero else { throw fail("\(at).thinkTime", "must not be negative") }
            }
            guard !phase.requests.isEmpty else { throw fail("\(at).requests", "at least one request kind is needed") }
            for (k, kind) in phase.requests.enumerated() {
                let kat = "\(at).requests[\(k)] (\(kind.name))"
                guard kind.weight.isFinite, kind.weight > 0 else { throw fail("\(kat).weight", "must be positive") }
                guard kind.path.hasPrefix("/") else { throw fail("\(kat).path", "must start with /, got \"\(kind.path)\"") }
                if let t = kind.timeout, t <= .zero { throw fail("\(kat).timeout", "must be positive") }
                switch kind.keys {
                case .uniform(let n):
                    guard n > 0 else { throw fail("\(kat).keys", "count must be positive") }
                case .zipf(let n, let s):
                    guard n > 0 else { throw fail("\(kat).keys", "count must be positive") }
                    guard s.isFinite, s > 0, s <= LabLimits.maxZipfExponent else {
                        throw fail("\(kat).keys", "zipf exponent must be above 0 and at most \(LabLimits.maxZipfExponent), got \(s)")
                    }
                }
            }
        }
    }
}

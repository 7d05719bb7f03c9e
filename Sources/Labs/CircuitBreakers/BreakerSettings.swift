import LabKit

/// The client's knobs, all from the environment (the lab's variants set them; README lists them).
struct BreakerSettings {
    /// `BREAKER=on`: calls go through the circuit breaker.
    var breakerEnabled: Bool
    /// `FALLBACK=on`: a failed or rejected call is answered from the last good price (or a default).
    var fallbackEnabled: Bool
    /// `BACKEND_TIMEOUT_MS`: how long one backend call may take.
    var backendTimeout: Duration
    var breaker: CircuitBreakerConfiguration

    init(_ environment: [String: String]) throws {
        func flag(_ name: String) -> Bool { ["on", "true", "1", "yes"].contains((environment[name] ?? "off").lowercased()) }
        func number(_ name: String, _ fallback: Double, _ range: ClosedRange<Double>) throws -> Double {
            guard let raw = environment[name], !raw.isEmpty else { return fallback }
            guard let value = Double(raw), range.contains(value) else {
                throw LabStartupError("\(name)=\(raw): expected a number in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        func millis(_ name: String, _ fallback: Double) throws -> Duration {
            .milliseconds(Int64(try number(name, fallback, 1...3_600_000)))
        }

        breakerEnabled = flag("BREAKER")
        fallbackEnabled = flag("FALLBACK")
        backendTimeout = try millis("BACKEND_TIMEOUT_MS", 300)

        let size = Int(try number("CB_WINDOW_SIZE", 20, 1...10_000))
        let window: CircuitBreakerConfiguration.SlidingWindow
        switch (environment["CB_WINDOW_TYPE"] ?? "count").lowercased() {
        case "count": window = .countBased(size: size)
        case "time": window = .timeBased(seconds: size)
        case let other: throw LabStartupError("CB_WINDOW_TYPE=\(other): expected count or time")
        }
        breaker = CircuitBreakerConfiguration(
            slidingWindow: window,
            minimumNumberOfCalls: Int(try number("CB_MIN_CALLS", 5, 1...10_000)),
            failureRateThreshold: try number("CB_FAILURE_RATE", 50, 1...100),
            slowCallRateThreshold: try number("CB_SLOW_CALL_RATE", 100, 1...100),
            slowCallDurationThreshold: try millis("CB_SLOW_CALL_MS", 60_000),
            waitDurationInOpenState: try millis("CB_WAIT_MS", 3_000),
            permittedNumberOfCallsInHalfOpenState: Int(try number("CB_HALF_OPEN_CALLS", 3, 1...1_000))
        )
    }
}

import CoreMetrics
import Synchronization

/// Thrown by ``AdaptiveConcurrencyLimiter/execute(_:)`` when the limit is reached: shed the request
/// (e.g. answer 503) rather than queue it.
public struct ConcurrencyLimitExceededError: Error, Sendable, CustomStringConvertible {
    public let name: String
    public let limit: Int
    public var description: String { "concurrency limit '\(name)' of \(limit) reached" }
}

/// Load shedding with a concurrency limit that adapts to the latency and drops a service observes,
/// instead of a fixed number someone has to guess (Netflix concurrency-limits).
///
/// ``tryAcquire()`` admits a request if fewer than `limit` are in flight; when it completes, report it
/// with exactly one of ``onSuccess(_:)``, ``onDropped(_:)``, ``onIgnored(_:)``. Each success or drop
/// is a sample (its RTT on the limiter's clock, and the in-flight count when it started) that the
/// algorithm (``AIMDLimit`` or ``VegasLimit``) turns into a new limit.
///
/// Metrics (labelled `name`): `adaptive_concurrency_limit` and `adaptive_concurrency_in_flight` gauges,
/// `adaptive_concurrency_requests_total{outcome="admitted|rejected"}`.
public final class AdaptiveConcurrencyLimiter<C: Clock<Duration>>: Sendable {
    public enum Algorithm: Sendable {
        case aimd(AIMDLimit)
        case vegas(VegasLimit)
    }

    /// One admitted request. Report it exactly once.
    public struct Permit: Sendable {
        let startedAt: C.Instant
        let inFlightAtStart: Int
    }

    private struct State {
        var limit: Double
        var inFlight = 0
        var rttNoLoad: Duration?
    }

    public let name: String
    public let algorithm: Algorithm
    private let clock: C
    private let state: Mutex<State>
    private let limitGauge: Gauge
    private let inFlightGauge: Gauge
    private let admitted: Counter
    private let rejected: Counter

    public init(
        name: String, algorithm: Algorithm = .aimd(AIMDLimit()), clock: C,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.name = name
        self.algorithm = algorithm
        self.clock = clock
        let initial =
            switch algorithm {
            case .aimd(let aimd): aimd.initialLimit
            case .vegas(let vegas): vegas.initialLimit
            }
        state = Mutex(State(limit: Double(initial)))
        let dimensions = [("name", name)]
        limitGauge = Gauge(label: "adaptive_concurrency_limit", dimensions: dimensions, factory: metricsFactory)
        inFlightGauge = Gauge(label: "adaptive_concurrency_in_flight", dimensions: dimensions, factory: metricsFactory)
        admitted = Counter(
            label: "adaptive_concurrency_requests_total", dimensions: dimensions + [("outcome", "admitted")],
            factory: metricsFactory)
        rejected = Counter(
            label: "adaptive_concurrency_requests_total", dimensions: dimensions + [("outcome", "rejected")],
            factory: metricsFactory)
        limitGauge.record(initial)
        inFlightGauge.record(0)
    }

    /// The current limit (whole requests).
    public var limit: Int { state.withLock { Int($0.limit) } }
    /// Requests admitted and not yet reported.
    public var inFlight: Int { state.withLock { $0.inFlight } }

    /// Admits a request if fewer than `limit` are in flight, else returns nil (shed it).
    public func tryAcquire() -> Permit? {
        let now = clock.now
        let permit = state.withLock { state -> Permit? in
            guard state.inFlight < Int(state.limit) else { return nil }
            state.inFlight += 1
            inFlightGauge.record(state.inFlight)
            return Permit(startedAt: now, inFlightAtStart: state.inFlight)
        }
        (permit == nil ? rejected : admitted).increment()
        return permit
    }

    /// The request completed normally: its latency is a sample.
    public func onSuccess(_ permit: Permit) { complete(permit, didDrop: false) }

    /// The request was dropped (timed out or refused downstream as overloaded): the limit shrinks.
    public func onDropped(_ permit: Permit) { complete(permit, didDrop: true) }

    /// The request ended in a way that says nothing about load (e.g. a validation error): no sample.
    public func onIgnored(_ permit: Permit) {
        state.withLock { state in
            state.inFlight -= 1
            inFlightGauge.record(state.inFlight)
        }
    }

    /// Runs `operation` if admitted. Errors `isDrop` accepts count as drops; other errors are ignored
    /// (no sample). Throws ``ConcurrencyLimitExceededError`` without running it when at the limit.
    nonisolated(nonsending) public func execute<R>(
        isDrop: @Sendable (any Error) -> Bool = { $0 is DeadlineExceededError },
        _ operation: nonisolated(nonsending) () async throws -> R
    ) async throws -> R {
        guard let permit = tryAcquire() else { throw ConcurrencyLimitExceededError(name: name, limit: limit) }
        let result: R
        do {
            result = try await operation()
        } catch {
            if isDrop(error) { onDropped(permit) } else { onIgnored(permit) }
            throw error
        }
        onSuccess(permit)
        return result
    }

    private func complete(_ permit: Permit, didDrop: Bool) {
        let sample = ConcurrencySample(
            rtt: permit.startedAt.duration(to: clock.now), inFlight: permit.inFlightAtStart, didDrop: didDrop)
        state.withLock { state in
            state.inFlight -= 1
            switch algorithm {
            case .aimd(let aimd):
                state.limit = Double(aimd.update(limit: Int(state.limit), sample: sample))
            case .vegas(let vegas):
                // The lowest RTT seen is the latency without queueing. A zero RTT says nothing (and a
                // drop needs no RTT at all).
                if sample.rtt > .zero, !didDrop { state.rttNoLoad = min(state.rttNoLoad ?? sample.rtt, sample.rtt) }
                if didDrop || sample.rtt > .zero {
                    state.limit = vegas.update(limit: state.limit, rttNoLoad: state.rttNoLoad ?? sample.rtt, sample: sample)
                }
            }
            limitGauge.record(Int(state.limit))
            inFlightGauge.record(state.inFlight)
        }
    }
}

extension AdaptiveConcurrencyLimiter where C == ContinuousClock {
    public convenience init(
        name: String, algorithm: Algorithm = .aimd(AIMDLimit()), metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.init(name: name, algorithm: algorithm, clock: ContinuousClock(), metricsFactory: metricsFactory)
    }
}

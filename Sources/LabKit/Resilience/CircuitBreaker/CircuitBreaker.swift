import CoreMetrics
import Synchronization

/// A circuit breaker with Resilience4j's semantics.
///
/// - **Closed**: calls flow and their outcomes fill a sliding window (count- or time-based). Once the
///   window holds at least `minimumNumberOfCalls`, the breaker opens as soon as the failure rate or the
///   slow-call rate reaches its threshold.
/// - **Open**: every call is rejected at once with ``CircuitBreakerOpenError`` (so the caller can serve
///   a fallback instead of waiting on a dead dependency). The first call after
///   `waitDurationInOpenState` moves the breaker to half-open.
/// - **Half-open**: exactly `permittedNumberOfCallsInHalfOpenState` probes are admitted; more calls are
///   rejected. When all probes have completed, the breaker closes (with an empty window) or, if the
///   probes' failure or slow-call rate reaches its threshold, opens again.
///
/// Use ``execute(_:)``, or ``acquirePermission()`` and then exactly one of ``recordSuccess(_:)``,
/// ``recordFailure(_:)``, ``record(_:error:)``, ``releasePermission(_:)`` with the returned permit.
/// A call's duration (for the slow-call rule) runs from `acquirePermission` to the record, on the
/// breaker's clock. Outcomes of calls admitted before the last state change are counted in metrics but
/// do not influence the new state (a late answer from before the breaker opened is not a probe).
///
/// Metrics (labelled `name`):
/// - `circuit_breaker_state` gauge: 0 closed, 1 open, 2 half-open.
/// - `circuit_breaker_transitions_total{from,to}` with states `closed|open|half_open`.
/// - `circuit_breaker_calls_total{outcome}`: `success` (fast success), `slow` (success slower than
///   `slowCallDurationThreshold`), `failure` (any recorded failure, slow or not), `rejected` (not
///   permitted), `ignored` (released without an outcome, e.g. cancelled).
public final class CircuitBreaker<C: Clock<Duration>>: Sendable {
    /// Permission to make one call. Hand it back through one of the record methods.
    public struct Permit: Sendable {
        let startedAt: C.Instant
        let generation: UInt64
    }

    /// Called after every state change, outside the breaker's lock (for logs and lab narration).
    public typealias TransitionHandler = @Sendable (_ from: CircuitBreakerState, _ to: CircuitBreakerState) -> Void

    private enum Phase {
        case closed(CallOutcomeWindow)
        case open(since: C.Instant)
        case halfOpen(admitted: Int, completed: CallTally)
    }

    private struct State {
        var phase: Phase
        /// Bumped on every transition; permits from an older generation are not counted.
        var generation: UInt64 = 0
        var breakerState: CircuitBreakerState {
            switch phase {
            case .closed: .closed
            case .open: .open
            case .halfOpen: .halfOpen
            }
        }
    }

    private struct Transition { let from, to: CircuitBreakerState }

    public let name: String
    public let configuration: CircuitBreakerConfiguration
    private let clock: C
    private let createdAt: C.Instant
    private let state: Mutex<State>
    private let onTransition: TransitionHandler?
    private let stateGauge: Gauge
    private let transitionCounters: [String: Counter]
    private let callCounters: [String: Counter]

    public init(
        name: String,
        configuration: CircuitBreakerConfiguration = CircuitBreakerConfiguration(),
        clock: C,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        onTransition: TransitionHandler? = nil
    ) {
        self.name = name
        self.configuration = configuration
        self.clock = clock
        self.onTransition = onTransition
        createdAt = clock.now
        state = Mutex(State(phase: .closed(CallOutcomeWindow(configuration.slidingWindow))))
        stateGauge = Gauge(label: "circuit_breaker_state", dimensions: [("name", name)], factory: metricsFactory)
        stateGauge.record(CircuitBreakerState.closed.rawValue)
        // Create every series up front so dashboards see zeros rather than gaps.
        var transitions: [String: Counter] = [:]
        for (from, to) in [
            (CircuitBreakerState.closed, CircuitBreakerState.open), (.open, .halfOpen), (.halfOpen, .open), (.halfOpen, .closed),
        ] {
            transitions["\(from)>\(to)"] = Counter(
                label: "circuit_breaker_transitions_total",
                dimensions: [("name", name), ("from", from.description), ("to", to.description)],
                factory: metricsFactory
            )
        }
        transitionCounters = transitions
        var calls: [String: Counter] = [:]
        for outcome in ["success", "slow", "failure", "rejected", "ignored"] {
            calls[outcome] = Counter(
                label: "circuit_breaker_calls_total", dimensions: [("name", name), ("outcome", outcome)], factory: metricsFactory)
        }
        callCounters = calls
    }

    /// The current state. An open breaker whose wait has elapsed still reports `open` until the next
    /// call moves it to half-open.
    public var currentState: CircuitBreakerState { state.withLock { $0.breakerState } }

    // MARK: Calling through the breaker

    /// Runs `operation` if the breaker permits it and records its outcome.
    /// Throws ``CircuitBreakerOpenError`` without running `operation` when the call is not permitted.
    nonisolated(nonsending) public func execute<R>(_ operation: nonisolated(nonsending) () async throws -> R) async throws -> R {
        let permit = try acquirePermission()
        let result: R
        do {
            result = try await operation()
        } catch {
            record(permit, error: error)
            throw error
        }
        recordSuccess(permit)
        return result
    }

    /// Asks to make one call. Throws ``CircuitBreakerOpenError`` if it is not permitted.
    public func acquirePermission() throws(CircuitBreakerOpenError) -> Permit {
        let now = clock.now
        var transition: Transition?
        let decision = state.withLock { state -> Result<Permit, CircuitBreakerOpenError> in
            if case .open(let since) = state.phase {
                let reopensAt = since.advanced(by: configuration.waitDurationInOpenState)
                if now < reopensAt {
                    return .failure(CircuitBreakerOpenError(name: name, state: .open, retryAfter: now.duration(to: reopensAt)))
                }
                transition = move(&state, to: .halfOpen(admitted: 0, completed: CallTally()))
            }
            switch state.phase {
            case .closed:
                return .success(Permit(startedAt: now, generation: state.generation))
            case .halfOpen(let admitted, let completed):
                guard admitted < configuration.permittedNumberOfCallsInHalfOpenState else {
                    return .failure(CircuitBreakerOpenError(name: name, state: .halfOpen, retryAfter: nil))
                }
                state.phase = .halfOpen(admitted: admitted + 1, completed: completed)
                return .success(Permit(startedAt: now, generation: state.generation))
            case .open:
                preconditionFailure("an open breaker past its wait has just moved to half-open")
            }
        }
        announce(transition)
        switch decision {
        case .success(let permit):
            return permit
        case .failure(let error):
            callCounters["rejected"]?.increment()
            throw error
        }
    }

    /// The permitted call succeeded (it still counts as slow if it took too long).
    public func recordSuccess(_ permit: Permit) {
        complete(permit, failed: false)
    }

    /// The permitted call failed.
    public func recordFailure(_ permit: Permit) {
        complete(permit, failed: true)
    }

    /// The permitted call threw `error`: recorded as a failure if the configuration says so, as a
    /// success otherwise; `CancellationError` releases the permit without an outcome.
    public func record(_ permit: Permit, error: any Error) {
        if error is CancellationError {
            releasePermission(permit)
        } else {
            complete(permit, failed: configuration.recordsFailure(error))
        }
    }

    /// Gives the permit back without recording an outcome (the call was abandoned, not failed).
    /// In half-open state this frees the probe slot for another call.
    public func releasePermission(_ permit: Permit) {
        callCounters["ignored"]?.increment()
        state.withLock { state in
            guard permit.generation == state.generation, case .halfOpen(let admitted, let completed) = state.phase else { return }
            state.phase = .halfOpen(admitted: admitted - 1, completed: completed)
        }
    }

    // MARK: The state machine

    private func complete(_ permit: Permit, failed: Bool) {
        let now = clock.now
        let slow = permit.startedAt.duration(to: now) > configuration.slowCallDurationThreshold
        callCounters[failed ? "failure" : (slow ? "slow" : "success")]?.increment()
        let second = secondsSinceCreation(now)
        let transition = state.withLock { state -> Transition? in
            guard permit.generation == state.generation else { return nil }
            switch state.phase {
            case .closed(var window):
                window.record(failed: failed, slow: slow, second: second)
                let tally = window.tally(second: second)
                state.phase = .closed(window)
                guard tally.calls >= configuration.effectiveMinimumNumberOfCalls, exceedsThresholds(tally) else { return nil }
                return move(&state, to: .open(since: now))
            case .halfOpen(let admitted, var completed):
                completed.add(failed: failed, slow: slow)
                guard completed.calls >= configuration.permittedNumberOfCallsInHalfOpenState else {
                    state.phase = .halfOpen(admitted: admitted, completed: completed)
                    return nil
                }
                if exceedsThresholds(completed) { return move(&state, to: .open(since: now)) }
                return move(&state, to: .closed(CallOutcomeWindow(configuration.slidingWindow)))
            case .open:
                return nil // cannot happen: a transition to open bumps the generation
            }
        }
        announce(transition)
    }

    private func exceedsThresholds(_ tally: CallTally) -> Bool {
        tally.reaches(tally.failures, thresholdPercent: configuration.failureRateThreshold)
            || tally.reaches(tally.slowCalls, thresholdPercent: configuration.slowCallRateThreshold)
    }

    /// Changes phase under the lock, updating the gauge and transition counter there too so that
    /// metrics never show a state the breaker has already left.
    private func move(_ state: inout State, to phase: Phase) -> Transition {
        let from = state.breakerState
        state.phase = phase
        state.generation += 1
        let to = state.breakerState
        stateGauge.record(to.rawValue)
        transitionCounters["\(from)>\(to)"]?.increment()
        return Transition(from: from, to: to)
    }

    private func announce(_ transition: Transition?) {
        if let transition { onTransition?(transition.from, transition.to) }
    }

    private func secondsSinceCreation(_ instant: C.Instant) -> Int64 {
        createdAt.duration(to: instant).components.seconds
    }
}

extension CircuitBreaker where C == ContinuousClock {
    /// A breaker on the real clock.
    public convenience init(
        name: String,
        configuration: CircuitBreakerConfiguration = CircuitBreakerConfiguration(),
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        onTransition: TransitionHandler? = nil
    ) {
        self.init(
            name: name, configuration: configuration, clock: ContinuousClock(), metricsFactory: metricsFactory,
            onTransition: onTransition)
    }
}

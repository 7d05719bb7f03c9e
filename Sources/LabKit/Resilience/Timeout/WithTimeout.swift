import CoreMetrics

/// Thrown by ``withTimeout(_:clock:name:metricsFactory:operation:)`` when the time ran out.
public struct DeadlineExceededError: Error, Sendable, CustomStringConvertible {
    public let timeout: Duration
    public var description: String { "deadline exceeded (timeout \(timeout))" }
}

/// Runs `operation`, cancelling it if it has not finished within `timeout` on `clock`, and then throws
/// ``DeadlineExceededError``.
///
/// Cancellation is cooperative: the operation stops at its next suspension point that checks (every
/// `Task.sleep`, `clock.sleep`, and well-behaved I/O does), and this function returns once it has. An
/// operation that ignores cancellation keeps the caller waiting, because structured concurrency never
/// abandons a child task.
///
/// With a `name`, expirations are counted in `timeouts_total{name}`.
public func withTimeout<C: Clock<Duration>, R: Sendable>(
    _ timeout: Duration,
    clock: C,
    name: String? = nil,
    metricsFactory: any MetricsFactory = MetricsSystem.factory,
    operation: @escaping @Sendable () async throws -> R
) async throws -> R {
    let expired = {
        if let name { Counter(label: "timeouts_total", dimensions: [("name", name)], factory: metricsFactory).increment() }
        return DeadlineExceededError(timeout: timeout)
    }
    guard timeout > .zero else { throw expired() }
    return try await withThrowingTaskGroup(of: TimeoutRace<R>.self) { group in
        group.addTask { .finished(try await operation()) }
        group.addTask {
            try await clock.sleep(for: timeout)
            return .timedOut
        }
        defer { group.cancelAll() } // whoever lost is cancelled (and awaited by the group)
        switch try await group.next() {
        case .finished(let result): return result
        case .timedOut, nil: throw expired()
        }
    }
}

/// Which of the two racing child tasks finished first.
private enum TimeoutRace<R: Sendable>: Sendable {
    case finished(R)
    case timedOut
}

/// ``withTimeout(_:clock:name:metricsFactory:operation:)`` on the real clock.
public func withTimeout<R: Sendable>(
    _ timeout: Duration,
    name: String? = nil,
    metricsFactory: any MetricsFactory = MetricsSystem.factory,
    operation: @escaping @Sendable () async throws -> R
) async throws -> R {
    try await withTimeout(timeout, clock: ContinuousClock(), name: name, metricsFactory: metricsFactory, operation: operation)
}

/// Runs `operation` with whatever time is left before `deadline` (throws at once if none is).
public func withDeadline<C: Clock<Duration>, R: Sendable>(
    _ deadline: Deadline<C>,
    name: String? = nil,
    metricsFactory: any MetricsFactory = MetricsSystem.factory,
    operation: @escaping @Sendable () async throws -> R
) async throws -> R {
    try await withTimeout(
        deadline.remaining, clock: deadline.clock, name: name, metricsFactory: metricsFactory, operation: operation)
}

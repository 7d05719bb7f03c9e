import CoreMetrics
import Synchronization

/// Thrown when a bulkhead turns a call away.
public struct BulkheadFullError: Error, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        /// All slots were busy and waiting was not allowed, or the wait queue was full.
        case queueFull = "queue_full"
        /// The call waited `maxWaitDuration` without a slot freeing up.
        case waitTimedOut = "wait_timeout"
    }

    public let name: String
    public let reason: Reason

    public var description: String { "bulkhead '\(name)' is full (\(reason.rawValue))" }
}

/// A bulkhead: at most `maxConcurrentCalls` calls run at once, so one slow dependency cannot take every
/// worker hostage. A call that finds all slots busy waits in a FIFO queue of at most `maxQueueLength`
/// for at most `maxWaitDuration`, then is rejected with ``BulkheadFullError``.
///
/// `maxWaitDuration == .zero` means never wait (reject at once when full), as in Resilience4j's
/// semaphore bulkhead. Waiting uses the bulkhead's clock, so tests control the timeout.
///
/// Metrics (labelled `name`): `bulkhead_in_use` and `bulkhead_waiting` gauges,
/// `bulkhead_rejected_total{reason="queue_full|wait_timeout"}`.
public final class Bulkhead<C: Clock<Duration>>: Sendable {
    public struct Configuration: Sendable {
        public var maxConcurrentCalls: Int
        public var maxWaitDuration: Duration
        /// `nil` = no limit besides `maxWaitDuration`.
        public var maxQueueLength: Int?

        public init(maxConcurrentCalls: Int, maxWaitDuration: Duration = .zero, maxQueueLength: Int? = nil) {
            precondition(maxConcurrentCalls >= 1 && maxWaitDuration >= .zero && (maxQueueLength ?? 0) >= 0)
            self.maxConcurrentCalls = maxConcurrentCalls
            self.maxWaitDuration = maxWaitDuration
            self.maxQueueLength = maxQueueLength
        }
    }

    /// Proof of holding a slot; give it back with ``release(_:)``.
    public struct Permit: Sendable {}

    /// A queued caller. It enters the queue as `pending` (decided to wait, continuation not yet
    /// stored) so that a timeout, a grant or a cancellation arriving first is never lost.
    private enum WaiterState {
        case pending
        case waiting(CheckedContinuation<Void, any Error>)
        case granted
        case timedOut
        case cancelled
    }

    private struct Waiter {
        let id: UInt64
        var state: WaiterState
        var isQueued: Bool {
            switch state {
            case .pending, .waiting: true
            default: false
            }
        }
    }

    private enum Admission {
        case now
        case wait(UInt64)
        case reject
    }

    private struct State {
        var inUse = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
        var waitingCount: Int { waiters.count(where: \.isQueued) }
    }

    public let name: String
    public let configuration: Configuration
    private let clock: C
    private let state = Mutex(State())
    private let inUseGauge: Gauge
    private let waitingGauge: Gauge
    private let rejectedQueueFull: Counter
    private let rejectedTimeout: Counter

    public init(name: String, configuration: Configuration, clock: C, metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.name = name
        self.configuration = configuration
        self.clock = clock
        let dimensions = [("name", name)]
        inUseGauge = Gauge(label: "bulkhead_in_use", dimensions: dimensions, factory: metricsFactory)
        waitingGauge = Gauge(label: "bulkhead_waiting", dimensions: dimensions, factory: metricsFactory)
        rejectedQueueFull = Counter(
            label: "bulkhead_rejected_total", dimensions: dimensions + [("reason", "queue_full")], factory: metricsFactory)
        rejectedTimeout = Counter(
            label: "bulkhead_rejected_total", dimensions: dimensions + [("reason", "wait_timeout")], factory: metricsFactory)
        inUseGauge.record(0)
        waitingGauge.record(0)
    }

    /// Calls currently holding a slot.
    public var inUse: Int { state.withLock { $0.inUse } }
    /// Calls currently queued for a slot.
    public var waiting: Int { state.withLock { $0.waitingCount } }

    /// Runs `operation` in a slot, waiting for one if the configuration allows.
    nonisolated(nonsending) public func execute<R>(_ operation: nonisolated(nonsending) () async throws -> R) async throws -> R {
        let permit = try await acquire()
        defer { release(permit) }
        return try await operation()
    }

    /// Takes a slot, waiting (FIFO) if allowed. Throws ``BulkheadFullError`` when rejected and
    /// `CancellationError` if the task is cancelled while waiting.
    public func acquire() async throws -> Permit {
        let admission = state.withLock { state -> Admission in
            if state.inUse < configuration.maxConcurrentCalls && state.waitingCount == 0 {
                state.inUse += 1
                publish(state)
                return .now
            }
            let queueHasRoom = configuration.maxQueueLength.map { state.waitingCount < $0 } ?? true
            guard configuration.maxWaitDuration > .zero, queueHasRoom else { return .reject }
            state.nextID += 1
            state.waiters.append(Waiter(id: state.nextID, state: .pending))
            publish(state)
            return .wait(state.nextID)
        }
        switch admission {
        case .now:
            return Permit()
        case .reject:
            rejectedQueueFull.increment()
            throw BulkheadFullError(name: name, reason: .queueFull)
        case .wait(let id):
            try await waitInQueue(id)
            return Permit()
        }
    }

    /// Frees a slot, handing it straight to the longest-waiting caller if there is one.
    public func release(_ permit: Permit) {
        let woken = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard let index = state.waiters.firstIndex(where: \.isQueued) else {
                state.inUse -= 1
                publish(state)
                return nil
            }
            // The slot passes to the waiter: `inUse` stays the same.
            var continuation: CheckedContinuation<Void, any Error>?
            if case .waiting(let waiting) = state.waiters[index].state {
                continuation = waiting
                state.waiters.remove(at: index)
            } else {
                state.waiters[index].state = .granted
            }
            publish(state)
            return continuation
        }
        woken?.resume()
    }

    private func waitInQueue(_ id: UInt64) async throws {
        let timer = Task { [clock, maxWait = configuration.maxWaitDuration] in
            do { try await clock.sleep(for: maxWait) } catch { return } // cancelled: we got a slot
            self.settle(id, as: .timedOut)
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> WaiterState? in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    if case .pending = state.waiters[index].state {
                        state.waiters[index].state = .waiting(continuation)
                        return nil
                    }
                    return state.waiters.remove(at: index).state // settled before we got here
                }
                if let outcome { resume(continuation, with: outcome) }
            }
        } onCancel: {
            settle(id, as: .cancelled)
        }
    }

    /// Ends a queued wait with a timeout or cancellation (no-op if the waiter already got its slot).
    private func settle(_ id: UInt64, as outcome: WaiterState) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id && $0.isQueued }) else { return nil }
            defer { publish(state) }
            if case .waiting(let continuation) = state.waiters[index].state {
                state.waiters.remove(at: index)
                return continuation
            }
            state.waiters[index].state = outcome // still pending: the waiter picks this up itself
            return nil
        }
        if let continuation { resume(continuation, with: outcome) }
    }

    private func resume(_ continuation: CheckedContinuation<Void, any Error>, with outcome: WaiterState) {
        switch outcome {
        case .granted:
            continuation.resume()
        case .timedOut:
            rejectedTimeout.increment()
            continuation.resume(throwing: BulkheadFullError(name: name, reason: .waitTimedOut))
        case .cancelled:
            continuation.resume(throwing: CancellationError())
        case .pending, .waiting:
            preconditionFailure("only settled waiters are resumed")
        }
    }

    private func publish(_ state: State) {
        inUseGauge.record(state.inUse)
        waitingGauge.record(state.waitingCount)
    }
}

extension Bulkhead where C == ContinuousClock {
    public convenience init(
        name: String, configuration: Configuration, metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.init(name: name, configuration: configuration, clock: ContinuousClock(), metricsFactory: metricsFactory)
    }
}

import Synchronization

/// Runs `operation` and returns its result, or throws ``DeadlineExceededError`` once `timeout` has
/// passed — even if the operation ignores cancellation.
///
/// ``withTimeout(_:name:metricsFactory:operation:)`` is structured: it cancels the operation and then
/// waits for it. A query that PostgreSQL holds (a commit waiting for a synchronous standby whose link
/// is cut) does not stop when cancelled, so its caller would wait as long as PostgreSQL does. Here the
/// operation runs in a task of its own: at the deadline it is cancelled and *abandoned* — it goes on
/// in the background and its result is dropped — and the caller gets its answer on time.
///
/// Use it where the caller's answer must be on time and an abandoned operation can do no harm that
/// the caller reports as success (a write that times out here is reported as failed; if it commits
/// later, nobody was promised it).
public func withAbandonment<R: Sendable>(
    after timeout: Duration,
    operation: @escaping @Sendable () async throws -> R
) async throws -> R {
    let outcome = OnceOutcome<R>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<R, any Error>) in
            outcome.install(continuation)
            // The work is registered for cancellation before the timer can fire, and a failure (the
            // deadline, the caller's cancellation) reaches the caller only after the work was
            // cancelled — even with a timeout of zero.
            let work = Task {
                do { outcome.resolve(.success(try await operation())) } catch { outcome.resolve(.failure(error)) }
            }
            outcome.onCancel { work.cancel() }
            let timer = Task {
                try await Task.sleep(for: timeout)
                outcome.resolve(.failure(DeadlineExceededError(timeout: timeout)))
            }
            outcome.onResolved { timer.cancel() }
        }
    } onCancel: {
        outcome.resolve(.failure(CancellationError()))
    }
}

/// The first of several racing outcomes, delivered once to a continuation installed before or after it.
/// A failure is held back until the work's cancellation is registered (``onCancel(_:)``), so the
/// work is always told to stop before the caller hears that it was abandoned.
private final class OnceOutcome<R: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<R, any Error>?
        var result: Result<R, any Error>?
        var delivered = false
        var cancelWork: (@Sendable () -> Void)?
        var workRegistered = false
        var onResolved: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<R, any Error>) {
        state.withLock { $0.continuation = continuation }
        deliverIfReady()
    }

    /// Registers how to cancel the work; cancels it at once if a failure already came.
    func onCancel(_ cancel: @escaping @Sendable () -> Void) {
        let cancelNow = state.withLock { s in
            s.cancelWork = cancel
            s.workRegistered = true
            if case .failure = s.result { return true }
            return false
        }
        if cancelNow { cancel() }
        deliverIfReady()
    }

    /// Runs `action` once a result is in (at once if it already is): the timer's cleanup.
    func onResolved(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s in
            if s.result != nil { return true }
            s.onResolved = action
            return false
        }
        if runNow { action() }
    }

    /// Records `result` if none came first; true if this one won.
    @discardableResult
    func resolve(_ result: Result<R, any Error>) -> Bool {
        let (won, cancel, resolved): (Bool, (@Sendable () -> Void)?, (@Sendable () -> Void)?) = state.withLock { s in
            guard s.result == nil else { return (false, nil, nil) }
            s.result = result
            let resolved = s.onResolved
            s.onResolved = nil
            if case .failure = result { return (true, s.cancelWork, resolved) }
            return (true, nil, resolved)
        }
        resolved?()
        cancel?() // the abandoned work is told to stop before the caller resumes
        if won { deliverIfReady() }
        return won
    }

    /// Resumes the caller once there is a continuation and a result, and — for a failure — once the
    /// work's cancellation is registered (and so was called).
    private func deliverIfReady() {
        let ready: (CheckedContinuation<R, any Error>, Result<R, any Error>)? = state.withLock { s in
            guard !s.delivered, let c = s.continuation, let result = s.result else { return nil }
            if case .failure = result, !s.workRegistered { return nil }
            s.delivered = true
            s.continuation = nil
            return (c, result)
        }
        if let (continuation, result) = ready { continuation.resume(with: result) }
    }
}

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
            let timer = Task {
                try await Task.sleep(for: timeout)
                outcome.resolve(.failure(DeadlineExceededError(timeout: timeout)))
            }
            let work = Task {
                do { outcome.resolve(.success(try await operation())) } catch { outcome.resolve(.failure(error)) }
                timer.cancel()
            }
            outcome.onCancel { work.cancel() } // a timeout or the caller's cancellation cancels the work
        }
    } onCancel: {
        outcome.resolve(.failure(CancellationError()))
    }
}

/// The first of several racing outcomes, delivered once to a continuation installed before or after it.
private final class OnceOutcome<R: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<R, any Error>?
        var result: Result<R, any Error>?
        var delivered = false
        var cancelWork: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<R, any Error>) {
        let ready: Result<R, any Error>? = state.withLock { s in
            if let result = s.result, !s.delivered {
                s.delivered = true
                return result
            }
            s.continuation = continuation
            return nil
        }
        if let ready { continuation.resume(with: ready) }
    }

    func onCancel(_ cancel: @escaping @Sendable () -> Void) {
        let cancelNow = state.withLock { s in
            s.cancelWork = cancel
            return s.result != nil
        }
        if cancelNow { cancel() }
    }

    /// Records `result` if none came first and resumes the caller; true if this one won.
    @discardableResult
    func resolve(_ result: Result<R, any Error>) -> Bool {
        let (won, continuation, cancel): (Bool, CheckedContinuation<R, any Error>?, (@Sendable () -> Void)?) = state.withLock { s in
            guard s.result == nil else { return (false, nil, nil) }
            s.result = result
            guard let c = s.continuation else { return (true, nil, s.cancelWork) }
            s.delivered = true
            s.continuation = nil
            return (true, c, s.cancelWork)
        }
        // Cancel the abandoned work before the caller resumes, so that by the time the caller sees
        // the deadline (or its own cancellation) the work has been told to stop.
        if won, case .failure = result { cancel?() }
        continuation?.resume(with: result)
        return won
    }
}

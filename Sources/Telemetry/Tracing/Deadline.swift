import Synchronization

struct DeadlineExceeded: Error, CustomStringConvertible {
    var timeout: Duration
    var description: String { "no answer within \(timeout)" }
}

/// Runs `operation` but returns (throwing `DeadlineExceeded`) after `timeout` even if the operation
/// ignores cancellation — a hung transport must not hang the exporter, and so never `shutdown()`.
/// The operation is cancelled when the deadline passes; a late result is discarded. (An operation
/// that ignores cancellation keeps running in the background until it ends by itself — real
/// transports honour their timeout, so this is a last line of defence, not the normal path.)
func withDeadline<T: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = Race<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation, operation: operation, timeout: timeout)
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The first of (operation, timer, cancellation) to finish resumes the continuation; the others are
/// cancelled.
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var tasks: [Task<Void, Never>] = []
        var finished = false
        var earlyResult: Result<T, any Error>?
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>, operation: @escaping @Sendable () async throws -> T, timeout: Duration) {
        let alreadyCancelled: Result<T, any Error>? = state.withLock { s in
            if let early = s.earlyResult { return early }
            s.continuation = continuation
            return nil
        }
        if let alreadyCancelled { return continuation.resume(with: alreadyCancelled) }
        let work = Task { [self] in
            do { finish(.success(try await operation())) } catch { finish(.failure(error)) }
        }
        let timer = Task { [self] in
            do {
                try await Task.sleep(for: timeout)
                finish(.failure(DeadlineExceeded(timeout: timeout)))
            } catch {} // cancelled: the race is already over
        }
        let lost = state.withLock { s -> Bool in
            s.tasks = [work, timer]
            return s.finished
        }
        if lost {
            work.cancel()
            timer.cancel()
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, tasks): (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) = state.withLock { s in
            guard !s.finished else { return (nil, []) }
            s.finished = true
            if s.continuation == nil { s.earlyResult = result }
            defer { s.continuation = nil }
            return (s.continuation, s.tasks)
        }
        for task in tasks { task.cancel() }
        continuation?.resume(with: result)
    }
}

import NIOCore
import Synchronization

/// A fixed number of connection slots, handed out one task at a time.
///
/// A slot is either free, or checked out by exactly one task. A checked-out slot may come with an
/// idle connection, or empty (the holder connects on its thread-pool thread). Tasks that find no
/// free slot wait in FIFO order; a released slot goes straight to the oldest waiter.
final class RedisConnectionPool: Sendable {
    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<RedisConnection?, any Error>
    }

    private struct State {
        var idle: [RedisConnection] = []
        var checkedOut = 0
        var waiters = CircularBuffer<Waiter>()
        var nextWaiterID = 0
        var isClosed = false
    }

    let capacity: Int
    private let state = Mutex(State())
    /// Called with the number of checked-out slots whenever it changes (the in-use gauge).
    private let onInUseChange: @Sendable (Int) -> Void

    init(capacity: Int, onInUseChange: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.capacity = capacity
        self.onInUseChange = onInUseChange
    }

    /// Waits for a slot. Returns the slot's idle connection, or nil when the caller must connect.
    /// Throws `RedisError.clientClosed` after `close()`, `CancellationError` if the task is cancelled
    /// while waiting.
    func checkOut() async throws -> RedisConnection? {
        enum Immediate { case slot(RedisConnection?, inUse: Int), closed, cancelled, wait }
        let waiterID = state.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate = state.withLock { state -> Immediate in
                    if state.isClosed { return .closed }
                    // Checked under the lock: a cancellation either happened before this point
                    // (we resume here) or will find the waiter in the queue (the handler resumes).
                    if Task.isCancelled { return .cancelled }
                    if state.checkedOut < capacity {
                        state.checkedOut += 1
                        return .slot(state.idle.popLast(), inUse: state.checkedOut)
                    }
                    state.waiters.append(Waiter(id: waiterID, continuation: continuation))
                    return .wait
                }
                switch immediate {
                case .slot(let connection, let inUse):
                    onInUseChange(inUse)
                    continuation.resume(returning: connection)
                case .closed:
                    continuation.resume(throwing: RedisError.clientClosed)
                case .cancelled:
                    continuation.resume(throwing: CancellationError())
                case .wait:
                    break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == waiterID }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Returns a slot. Pass the connection if it is healthy; pass nil (or a broken one) to drop it,
    /// so the next holder of the slot reconnects.
    func checkIn(_ connection: RedisConnection?) {
        let usable = connection.flatMap { $0.isBroken ? nil : $0 }
        enum Next { case handOff(Waiter), freed(inUse: Int) }
        let next = state.withLock { state -> Next in
            if !state.isClosed, let waiter = state.waiters.popFirst() {
                return .handOff(waiter)
            }
            state.checkedOut -= 1
            if let usable, !state.isClosed { state.idle.append(usable) }
            return .freed(inUse: state.checkedOut)
        }
        switch next {
        case .handOff(let waiter): waiter.continuation.resume(returning: usable)
        case .freed(let inUse): onInUseChange(inUse)
        }
    }

    /// Fails every waiter, drops idle connections; slots still checked out are dropped on check-in.
    func close() {
        let (waiters, idle) = state.withLock { state in
            state.isClosed = true
            defer {
                state.waiters.removeAll()
                state.idle.removeAll()
            }
            return (Array(state.waiters), state.idle)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: RedisError.clientClosed) }
        _ = idle // released here; deinit frees the hiredis contexts
    }
}

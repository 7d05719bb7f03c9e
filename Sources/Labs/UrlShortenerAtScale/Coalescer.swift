import ServiceLifecycle
import Synchronization

/// Many callers' items, written in batches, each caller released only when ITS batch is written.
///
/// `submit(item)` waits; one flusher takes everything waiting (up to `maxBatch`), hands it to `flush`
/// in one call, and then resumes each caller of that batch (or throws `flush`'s error to each). While
/// a flush is in flight new items gather for the next one, so the batch grows with the load by
/// itself: no timer, no added delay when it is quiet. The shortener batches its clicks into one
/// confirmed publish with it; the analytics consumer batches deliveries into one transaction.
final class Coalescer<Item: Sendable>: Service, Sendable {
    typealias Flush = @Sendable ([Item]) async throws -> Void

    struct Closed: Error, CustomStringConvertible {
        var description: String { "the batcher has stopped (the service is shutting down)" }
    }

    private struct Waiting {
        let item: Item
        let continuation: CheckedContinuation<Void, Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var closed = false
    }

    let maxBatch: Int
    private let flush: Flush
    private let state = Mutex(State())
    private let doorbell: AsyncStream<Void>
    private let ring: AsyncStream<Void>.Continuation

    init(maxBatch: Int, flush: @escaping Flush) {
        precondition(maxBatch >= 1)
        self.maxBatch = maxBatch
        self.flush = flush
        (doorbell, ring) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Returns once the batch holding `item` was flushed; throws what the flush threw.
    func submit(_ item: Item) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            let accepted = state.withLock { state -> Bool in
                guard !state.closed else { return false }
                state.waiting.append(Waiting(item: item, continuation: continuation))
                return true
            }
            if accepted { ring.yield() } else { continuation.resume(throwing: Closed()) }
        }
    }

    /// Items waiting now (not yet taken by a flush).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in self.doorbell {
                await self.drain()
            }
        }
        let left = state.withLock { state -> [Waiting] in
            state.closed = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for waiting in left { waiting.continuation.resume(throwing: Closed()) }
    }

    /// Flushes until nothing waits (the items that arrived during a flush form the next batch).
    func drain() async {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                let count = min(state.waiting.count, maxBatch)
                defer { state.waiting.removeFirst(count) }
                return Array(state.waiting.prefix(count))
            }
            if batch.isEmpty { return }
            do {
                try await flush(batch.map(\.item))
                for waiting in batch { waiting.continuation.resume() }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}

import Synchronization

/// Facebook's DataLoader for Swift concurrency: many `load(key)` calls made at about the same time
/// become ONE call of `batch(keys)`, and a key asked for twice is fetched once (a per-loader cache).
///
/// Make one loader per request (its cache must not outlive the request's view of the data). A
/// GraphQL executor resolves the items of a list concurrently, so the `seller` resolvers of 100
/// products each call `load(sellerID)` within a few microseconds of each other: the loader waits
/// until no new key has arrived for `quiet` (at most `maxWait` after the first), then sends the
/// batch. Keys that arrive while a batch is in flight form the next one; `prefetch` hands over a
/// list's keys all at once.
///
///     let sellers = DataLoader<Int, User>(name: "users") { ids in try await usersSubgraph.users(ids) }
///     let user = try await sellers.load(product.sellerID)   // nil: the batch had no value for it
public final class DataLoader<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public typealias Batch = @Sendable ([Key]) async throws -> [Key: Value]

    public let name: String
    private let batch: Batch
    private let quiet: Duration
    private let maxWait: Duration
    private let maxBatchSize: Int
    private let state = Mutex(State())

    private enum Step {
        case cached(Result<Value?, Error>)
        case waiting(startDispatcher: Bool)
    }

    private struct State {
        /// Keys waiting for the next batch, in the order first asked, with everyone waiting on each.
        var waiting: [Key: [CheckedContinuation<Value?, Error>]] = [:]
        var order: [Key] = []
        /// Bumped by every new key: the dispatcher waits until it stops changing.
        var arrivals = 0
        var dispatcherRunning = false
        var cache: [Key: Result<Value?, Error>] = [:]
        var batches = 0
    }

    public init(
        name: String, quiet: Duration = .milliseconds(1), maxWait: Duration = .milliseconds(25), maxBatchSize: Int = 1_000,
        batch: @escaping Batch
    ) {
        self.name = name
        self.quiet = quiet
        self.maxWait = maxWait
        self.maxBatchSize = maxBatchSize
        self.batch = batch
    }

    /// How many batches this loader has sent.
    public var batchCount: Int { state.withLock { $0.batches } }

    /// The value for `key` (nil when the batch returned none), from the cache or the next batch.
    public func load(_ key: Key) async throws -> Value? {
        return try await withCheckedThrowingContinuation { continuation in
            let step = state.withLock { state -> Step in
                if let known = state.cache[key] { return .cached(known) }
                if state.waiting[key] == nil { state.order.append(key) }
                state.waiting[key, default: []].append(continuation)
                state.arrivals += 1
                guard !state.dispatcherRunning else { return .waiting(startDispatcher: false) }
                state.dispatcherRunning = true
                return .waiting(startDispatcher: true)
            }
            switch step {
            case .cached(let result): continuation.resume(with: result)
            case .waiting(let start): if start { Task { await self.dispatch() } }
            }
        }
    }

    /// Queues `keys` for the next batch without waiting for their values: a list's resolver knows
    /// every key at once, while the items' resolvers — run concurrently, but not simultaneously —
    /// ask for them over tens of milliseconds on a busy machine, which a time window alone would
    /// split into several batches. The items' `load` calls then find their key in flight or cached.
    public func prefetch(_ keys: [Key]) {
        let start = state.withLock { state -> Bool in
            for key in keys where state.cache[key] == nil && state.waiting[key] == nil {
                state.waiting[key] = []
                state.order.append(key)
            }
            state.arrivals += 1
            guard !state.dispatcherRunning, !state.order.isEmpty else { return false }
            state.dispatcherRunning = true
            return true
        }
        if start { Task { await self.dispatch() } }
    }

    /// Several keys at once, waiting for all their values.
    public func loadMany(_ keys: [Key]) async throws -> [Value?] {
        try await withThrowingTaskGroup(of: (Int, Value?).self) { group in
            for (index, key) in keys.enumerated() { group.addTask { (index, try await self.load(key)) } }
            var values = [Value?](repeating: nil, count: keys.count)
            for try await (index, value) in group { values[index] = value }
            return values
        }
    }

    /// Waits for the keys to stop arriving, sends them as one batch, and repeats while keys remain.
    private func dispatch() async {
        while true {
            let start = ContinuousClock.now
            var seen = state.withLock { $0.arrivals }
            while ContinuousClock.now - start < maxWait {
                try? await Task.sleep(for: quiet)
                let now = state.withLock { $0.arrivals }
                if now == seen { break }
                seen = now
            }
            let keys: [Key]? = state.withLock { state in
                guard !state.order.isEmpty else {
                    state.dispatcherRunning = false
                    return nil
                }
                let taken = Array(state.order.prefix(maxBatchSize))
                state.order.removeFirst(taken.count)
                state.batches += 1
                return taken
            }
            guard let keys else { return }
            let result: Result<[Key: Value], Error>
            do { result = .success(try await batch(keys)) } catch { result = .failure(error) }
            let waiters = state.withLock { state -> [(CheckedContinuation<Value?, Error>, Result<Value?, Error>)] in
                var resumed: [(CheckedContinuation<Value?, Error>, Result<Value?, Error>)] = []
                for key in keys {
                    let outcome: Result<Value?, Error> = result.map { $0[key] }
                    state.cache[key] = outcome
                    for waiter in state.waiting.removeValue(forKey: key) ?? [] { resumed.append((waiter, outcome)) }
                }
                return resumed
            }
            for (waiter, outcome) in waiters { waiter.resume(with: outcome) }
        }
    }
}

// Loading many keys fast, with ordinary commands: batches of commands pipelined (one round trip per
// batch) on several pooled connections at once. A million ZADD/SADD members load in seconds instead
// of the minutes one round trip per command would take.

/// What a bulk load did.
public struct RedisBulkLoadReport: Sendable, Hashable {
    /// Commands sent (each may carry many members: one ZADD with 1,000 members is one command).
    public var commands: Int
    /// Pipelines sent (round trips).
    public var batches: Int
    public var duration: Duration
}

extension RedisClient {
    /// Sends every command, `batchSize` per pipeline, with up to `concurrency` pipelines in flight (at
    /// most the pool size). `commands` is consumed lazily, so a million commands need not exist in
    /// memory at once: pass `(0..<n).lazy.map { ... }`. Any error reply fails the load (the first one
    /// is thrown, with the index of its command); commands already sent stay applied.
    /// Each pipeline is a `PIPELINE` client span and counted like any command.
    @discardableResult
    public func bulkLoad<Commands: Sequence>(
        _ commands: Commands, batchSize: Int = 500, concurrency: Int? = nil
    ) async throws -> RedisBulkLoadReport where Commands.Element == [RedisArgument] {
        guard batchSize > 0 else { throw RedisError.invalidArgument("bulkLoad: batchSize must be positive") }
        let lanes = max(1, min(concurrency ?? configuration.poolSize, configuration.poolSize))
        let start = ContinuousClock.now
        var sent = 0
        var batches = 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            var batch: [[RedisArgument]] = []
            batch.reserveCapacity(batchSize)

            func dispatch(_ commands: [[RedisArgument]], firstIndex: Int) async throws {
                if inFlight == lanes {
                    try await group.next()
                    inFlight -= 1
                }
                group.addTask {
                    let replies = try await self.pipeline(commands)
                    if let failed = replies.firstIndex(where: { if case .error = $0 { true } else { false } }),
                        case .error(let message) = replies[failed]
                    {
                        throw RedisError.server("\(message) (bulk load command #\(firstIndex + failed))")
                    }
                }
                inFlight += 1
                batches += 1
            }

            for command in commands {
                batch.append(command)
                if batch.count == batchSize {
                    try await dispatch(batch, firstIndex: sent)
                    sent += batch.count
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty {
                try await dispatch(batch, firstIndex: sent)
                sent += batch.count
            }
            try await group.waitForAll()
        }
        return RedisBulkLoadReport(commands: sent, batches: batches, duration: ContinuousClock.now - start)
    }
}

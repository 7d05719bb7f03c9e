// HyperLogLog: an estimate of how many distinct elements were added, in at most ~12 KB per key
// whatever the count (a sparse encoding for small counts), with a 0.81 % standard error. Two or more
// can be merged (PFMERGE, or PFCOUNT of several keys) without the elements themselves.

extension RedisClient {
    /// `PFADD key element...`: true when the HyperLogLog's estimate changed.
    @discardableResult
    public func pfadd(_ key: String, _ elements: [String]) async throws -> Bool {
        try await send(["PFADD", RedisArgument(key)] + elements.map { RedisArgument($0) }).expectInteger("PFADD") == 1
    }

    /// `PFCOUNT key...`: the estimated number of distinct elements (of the union, for several keys).
    public func pfcount(_ keys: [String]) async throws -> Int {
        guard !keys.isEmpty else { throw RedisError.invalidArgument("PFCOUNT needs at least one key") }
        return try await send(["PFCOUNT"] + keys.map { RedisArgument($0) }).expectInteger("PFCOUNT")
    }

    public func pfcount(_ keys: String...) async throws -> Int {
        try await pfcount(keys)
    }

    /// `PFMERGE destination source...`: stores the union of the sources' HyperLogLogs in `destination`
    /// (merged with what it already holds). Costs the same whatever the counts: at most 16,384
    /// registers per source.
    public func pfmerge(into destination: String, from sources: [String]) async throws {
        _ = try await send(["PFMERGE", RedisArgument(destination)] + sources.map { RedisArgument($0) })
    }
}

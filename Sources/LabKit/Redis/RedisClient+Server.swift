import Foundation

// What the server says about itself: memory per key, INFO sections, configuration, the server clock.

extension RedisClient {
    /// `MEMORY USAGE key [SAMPLES n]`: bytes the key and its value take in the server, nil for a missing
    /// key. For collections Redis samples `samples` elements (default 5) and extrapolates; `samples: 0`
    /// measures every element (exact, and slower on big keys).
    public func memoryUsage(_ key: String, samples: Int? = nil) async throws -> Int? {
        var arguments: [RedisArgument] = ["MEMORY", "USAGE", RedisArgument(key)]
        if let samples { arguments += ["SAMPLES", RedisArgument(samples)] }
        let reply = try await send(arguments)
        return reply.isNull ? nil : try reply.expectInteger("MEMORY USAGE")
    }

    /// `INFO section` as name → value (`used_memory` → "1234567"); comment lines are left out.
    public func info(_ section: String = "default") async throws -> [String: String] {
        Self.parseInfo(try await send("INFO", RedisArgument(section)).expectString("INFO"))
    }

    /// `CONFIG GET pattern` as name → value.
    public func configGet(_ pattern: String) async throws -> [String: String] {
        let flat = try await send("CONFIG", "GET", RedisArgument(pattern)).expectArray("CONFIG GET")
        var values: [String: String] = [:]
        for index in stride(from: 0, to: flat.count - 1, by: 2) {
            values[try flat[index].expectString("CONFIG GET")] = try flat[index + 1].expectString("CONFIG GET")
        }
        return values
    }

    /// `CONFIG SET name value`.
    public func configSet(_ name: String, _ value: String) async throws {
        _ = try await send("CONFIG", "SET", RedisArgument(name), RedisArgument(value))
    }

    /// `DBSIZE`: keys in the selected database.
    public func dbsize() async throws -> Int {
        try await send("DBSIZE").expectInteger("DBSIZE")
    }

    /// `TIME`: the server's clock (one clock for every client: windows and timestamps agree across
    /// replicas even when their own clocks drift).
    public func serverTime() async throws -> Duration {
        let parts = try await send("TIME").expectArray("TIME")
        guard parts.count == 2, let seconds = parts[0].int, let microseconds = parts[1].int else {
            throw RedisError.protocolError("TIME: expected [seconds, microseconds]")
        }
        return .seconds(seconds) + .microseconds(microseconds)
    }

    /// The server's own latency percentiles per command (`INFO latencystats`, Redis 7+: the time Redis
    /// spent executing each command, without the network or the client): command (lower-case) →
    /// percentile ("p50", "p99", "p99.9") → duration. Since the server started or `CONFIG RESETSTAT`.
    public func serverLatencyPercentiles() async throws -> [String: [String: Duration]] {
        Self.parseLatencyStats(try await info("latencystats"))
    }

    /// `latency_percentiles_usec_get:p50=1.003,p99=3.007,p99.9=4.015` → ["get": ["p50": 1.003 µs, …]].
    static func parseLatencyStats(_ info: [String: String]) -> [String: [String: Duration]] {
        var result: [String: [String: Duration]] = [:]
        let prefix = "latency_percentiles_usec_"
        for (name, value) in info where name.hasPrefix(prefix) {
            var percentiles: [String: Duration] = [:]
            for part in value.split(separator: ",") {
                let pair = part.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, let microseconds = Double(pair[1]) else { continue }
                percentiles[String(pair[0])] = .nanoseconds(Int64(microseconds * 1_000))
            }
            result[String(name.dropFirst(prefix.count))] = percentiles
        }
        return result
    }

    static func parseInfo(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            values[String(line[..<colon])] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        }
        return values
    }
}

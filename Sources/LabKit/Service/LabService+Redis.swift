extension LabService {
    /// The service's Redis client from `REDIS_URL` (nil when unset), pool size `REDIS_POOL_SIZE`
    /// (a knob: a service that uses this declares `LabService.redisKnobs`): closed when the service
    /// stops, and `/readyz` reports `redis` not ready while `PING` fails.
    /// `commandTimeout`: how long a command waits for its reply (a lab whose lesson includes commands
    /// that hold Redis for seconds raises it).
    public func redis(commandTimeout: Duration = .seconds(2)) throws -> RedisClient? {
        let poolSize = try knobs.read(Self.redisPoolSize)
        guard let url = context.environment["REDIS_URL"], !url.isEmpty else { return nil }
        let client: RedisClient
        do {
            client = try RedisClient(url: url, poolSize: poolSize, commandTimeout: commandTimeout)
        } catch {
            throw LabStartupError("REDIS_URL: \(error)")
        }
        // Redis answers in microseconds: the default buckets (5 ms and up) would put every command in one.
        telemetry.registry.configureBuckets(forMetric: "redis_client_command_duration_seconds", RedisClient.durationBuckets)
        addService(client)
        addReadinessCheck("redis") { _ = try await client.ping() }
        return client
    }
}

extension LabService {
    public static let redisPoolSize = Knob.wholeNumber(
        "REDIS_POOL_SIZE", default: 4, in: 1...1_000, "Redis connections in the client's pool, at most")

    /// The knobs of `LabService.redis()`: a lab service that uses it declares these.
    public static let redisKnobs: [any LabKnob] = [redisPoolSize]
}

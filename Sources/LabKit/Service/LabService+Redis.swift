extension LabService {
    /// The service's Redis client from `REDIS_URL` (nil when unset), pool size `REDIS_POOL_SIZE`
    /// (default 4): closed when the service stops, and `/readyz` reports `redis` not ready while
    /// `PING` fails.
    public func redis() throws -> RedisClient? {
        guard let url = context.environment["REDIS_URL"], !url.isEmpty else { return nil }
        let client: RedisClient
        do {
            client = try RedisClient(url: url, poolSize: try context.integer("REDIS_POOL_SIZE", default: 4))
        } catch let error as RedisError {
            throw LabStartupError("REDIS_URL: \(error)")
        }
        addService(client)
        addReadinessCheck("redis") { _ = try await client.ping() }
        return client
    }
}

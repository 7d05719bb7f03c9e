import LabKit

/// Publishes Redis's own count of expired keys (`INFO stats` → `expired_keys`) as the gauge
/// `redis_expired_keys`, so recomputes can be divided by expiries. The hot report is the only key with
/// a TTL that runs out (locks are deleted by their holder), so each expiry of it counts exactly once,
/// whether Redis noticed it lazily (a GET) or in its background sweep. Every replica publishes the same
/// server-wide number: aggregate with max().
enum RedisExpiryWatcher {
    private static let expiredKeys = Gauge(label: "redis_expired_keys")

    static func start(_ redis: RedisClient, every interval: Duration = .milliseconds(500)) {
        Task {
            while !Task.isCancelled {
                if let info = try? await redis.send("INFO", "stats"), let count = expiredKeys(in: info.string ?? "") {
                    expiredKeys.record(count)
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    static func expiredKeys(in info: String) -> Int? {
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("expired_keys:") {
            return Int(line.dropFirst("expired_keys:".count).trimmingPrefix(" "))
        }
        return nil
    }
}

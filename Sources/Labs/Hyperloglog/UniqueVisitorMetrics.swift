import LabKit
import Metrics

/// Per page and window (`1d`, `30d`): `uniques_counted` (what Redis answered), `uniques_exact` (the
/// truth), `uniques_count_error_ratio` (|counted - exact| / exact), `uniques_key_memory_bytes` (MEMORY
/// USAGE of the key the count came from), `uniques_query_redis_seconds` (histogram: the Redis work of
/// one count — SCARD/PFCOUNT, or the union and its count) and `uniques_last_query_redis_seconds` (the
/// latest one).
final class UniqueVisitorMetrics: Sendable {
    private struct Series: Sendable {
        let counted: Gauge
        let exact: Gauge
        let error: Gauge
        let memory: Gauge
        let redisTime: Timer
        let lastRedisTime: Gauge
    }

    private let series: [String: Series]

    init(pages: [String], windows: [Int]) {
        var series: [String: Series] = [:]
        for page in pages {
            for window in windows {
                let dimensions = [("page", page), ("window", "\(window)d")]
                series[Self.name(page, window)] = Series(
                    counted: Gauge(label: "uniques_counted", dimensions: dimensions),
                    exact: Gauge(label: "uniques_exact", dimensions: dimensions),
                    error: Gauge(label: "uniques_count_error_ratio", dimensions: dimensions),
                    memory: Gauge(label: "uniques_key_memory_bytes", dimensions: dimensions),
                    redisTime: Timer(label: "uniques_query_redis_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds),
                    lastRedisTime: Gauge(label: "uniques_last_query_redis_seconds", dimensions: dimensions))
            }
        }
        self.series = series
    }

    private static func name(_ page: String, _ window: Int) -> String { "\(page)/\(window)" }

    func answered(page: String, window: Int, counted: Int, exact: Int, elapsed: Duration) {
        guard let series = series[Self.name(page, window)] else { return }
        series.counted.record(counted)
        series.exact.record(exact)
        series.error.record(exact == 0 ? 0 : abs(Double(counted - exact)) / Double(exact))
        let (seconds, attoseconds) = elapsed.components
        series.redisTime.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        series.lastRedisTime.record(elapsed.inSeconds)
    }

    func memory(page: String, window: Int, bytes: Int) {
        series[Self.name(page, window)]?.memory.record(bytes)
    }
}

/// Every few seconds, asks Redis how many bytes each page's key of today takes (`MEMORY USAGE key
/// SAMPLES 0`: every element measured, not a sample). Unions are measured when they are made.
enum KeyMemoryPoller {
    static func start(
        redis: RedisClient, pages: [String], keys: UniqueVisitorKeys, metrics: UniqueVisitorMetrics, every interval: Duration = .seconds(3)
    ) {
        Task {
            while !Task.isCancelled {
                for page in pages {
                    if let bytes = try? await redis.memoryUsage(keys.day(page, keys.today), samples: 0) {
                        metrics.memory(page: page, window: 1, bytes: bytes)
                    }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}

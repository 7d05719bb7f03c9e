import Foundation
import LabKit
import Metrics
import Synchronization

/// KEY IDEA: a counter that several replicas update must be incremented where the data lives. With
/// GET-then-SET each replica adds one to a value another replica is also adding one to, and the later
/// SET overwrites the earlier one: views are lost while every caller is told they were counted
/// (`views_acknowledged_total` grows faster than the stored count). INCR does the read, the add and
/// the write in one step inside Redis, so nothing is lost; spreading one video's count over shard keys
/// keeps any single key from taking every write (`counter_key_writes_total` per key).
enum ViewCounterService {
    static func build(_ service: LabService) async throws {
        let settings = try ViewCounterSettings(service.knobs)
        guard let redis = try service.redis() else { throw LabStartupError("REDIS_URL is not set: the views are counted in Redis") }
        let counter: any ViewCounter =
            switch settings.strategy {
            case .getSet: GetSetCounter(redis: redis)
            case .shardedIncr: ShardedIncrCounter(redis: redis, shards: settings.shards)
            }
        let metrics = ViewCounterMetrics(counter: counter, videos: settings.videos)
        StoredTotalsPoller.start(counter: counter, videos: settings.videos, every: settings.pollInterval, metrics: metrics)
        let inFlight = Atomic(0)

        service.router.post("/videos/:id/views") { _, context -> Response in
            guard let video = context.parameters.get("id", as: Int.self), (1...settings.videos).contains(video) else {
                return .jsonError("no such video: ids are 1…\(settings.videos)", status: .notFound)
            }
            inFlight.wrappingAdd(1, ordering: .relaxed)
            defer { inFlight.wrappingSubtract(1, ordering: .relaxed) }
            let key = try await counter.increment(video)
            // Counted only once Redis confirmed the write: this is the number the caller was promised.
            metrics.acknowledged(video: video, key: key)
            return .json(["video": .number(Double(video)), "counted": true])
        }

        // For the audit: views being counted right now, views this replica acknowledged, and what Redis holds.
        service.router.get("/audit/views") { _, _ -> JSONValue in
            var stored: [String: JSONValue] = [:]
            for video in 1...settings.videos { stored[String(video)] = .number(Double(try await counter.total(video))) }
            return [
                "in_flight": .number(Double(inFlight.load(ordering: .relaxed))),
                "acknowledged": .number(Double(metrics.acknowledgedCount)), "stored": .object(stored),
            ]
        }

        service.router.get("/videos/:id/views") { _, context -> Response in
            guard let video = context.parameters.get("id", as: Int.self), (1...settings.videos).contains(video) else {
                return .jsonError("no such video: ids are 1…\(settings.videos)", status: .notFound)
            }
            return .json(["video": .number(Double(video)), "views": .number(Double(try await counter.total(video)))])
        }
    }
}

/// `views_acknowledged_total{video}`: views this replica told a caller were counted.
/// `counter_key_writes_total{key}`: writes per Redis key (the per-key throughput).
/// `views_stored{video}`: the total Redis holds, read every COUNT_POLL_MS (the same on every replica).
/// Every series exists at 0 from the start, so `increase()` over a phase sees all of it.
final class ViewCounterMetrics: Sendable {
    private let acknowledgedByVideo: [Int: Counter]
    private let acknowledgedTotal = Atomic(0)
    private let writesByKey: [String: Counter]
    private let storedByVideo: [Int: Gauge]

    init(counter: any ViewCounter, videos: Int) {
        var acknowledged: [Int: Counter] = [:]
        var writes: [String: Counter] = [:]
        var stored: [Int: Gauge] = [:]
        for video in 1...videos {
            acknowledged[video] = Counter(label: "views_acknowledged_total", dimensions: [("video", String(video))])
            stored[video] = Gauge(label: "views_stored", dimensions: [("video", String(video))])
            for key in counter.keys(of: video) {
                writes[key] = Counter(label: "counter_key_writes_total", dimensions: [("key", key)])
            }
        }
        for counter in acknowledged.values { counter.increment(by: 0) }
        for counter in writes.values { counter.increment(by: 0) }
        acknowledgedByVideo = acknowledged
        writesByKey = writes
        storedByVideo = stored
    }

    /// Views acknowledged by this replica, all videos.
    var acknowledgedCount: Int { acknowledgedTotal.load(ordering: .relaxed) }

    func acknowledged(video: Int, key: String) {
        acknowledgedTotal.wrappingAdd(1, ordering: .relaxed)
        acknowledgedByVideo[video]?.increment()
        writesByKey[key]?.increment()
    }

    func stored(video: Int, total: Int) {
        storedByVideo[video]?.record(total)
    }
}

/// Reads every video's stored total into `views_stored`, so the count Redis ends with can be set
/// against the views that were acknowledged.
enum StoredTotalsPoller {
    static func start(counter: any ViewCounter, videos: Int, every interval: Duration, metrics: ViewCounterMetrics) {
        Task {
            while !Task.isCancelled {
                for video in 1...videos {
                    if let total = try? await counter.total(video) { metrics.stored(video: video, total: total) }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}

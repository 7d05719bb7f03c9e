import Foundation
import LabKit
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The lag exporter (what Burrow or kafka-consumer-groups does for Kafka): every POLL_MS it asks
/// Redis, per partition, how far the group is behind — XINFO GROUPS' `lag` (entries not delivered
/// to the group yet) plus `pending` (delivered, not acknowledged) = log end − committed position —
/// and exports it as `consumer_group_lag{partition}`. It also exports the group's membership as the
/// members see it (live, idle), the ledger's counts, and two timings the scenario marks:
///
///     POST /marks/surge   the producer's rate crosses the group's capacity now
///     POST /marks/drain   the rate drops now: the drain time runs until the lag is 0 again
enum LagMonitor {
    static let pollKnob = Knob.milliseconds("POLL_MS", default: 100, in: 10...60_000, "how often the lag is read from Redis")
    static let knobs: [any LabKnob] = [pollKnob, GroupConsumer.sessionKnob, Topic.partitionsKnob] + LabService.redisKnobs

    static func build(_ service: LabService) async throws {
        guard let redis = try service.redis() else { throw LabStartupError("the lag monitor needs REDIS_URL: the topic lives in Redis") }
        let partitions = try service.knobs.read(Topic.partitionsKnob)
        try await Topic.prepare(redis, partitions: partitions)
        let watch = LagWatch(
            redis: redis, partitions: partitions, poll: try service.knobs.read(pollKnob),
            sessionTimeout: try service.knobs.read(GroupConsumer.sessionKnob), logger: service.context.logger)
        service.addService(watch)

        service.router.post("/marks/:name") { _, context -> Response in
            let name = context.parameters.get("name") ?? ""
            guard ["surge", "drain"].contains(name) else { return .jsonError("marks: surge or drain", status: .badRequest) }
            return .json(watch.mark(name))
        }
        service.router.get("/lag") { _, _ -> JSONValue in watch.snapshot }
    }
}

final class LagWatch: Service, Sendable {
    struct Drain {
        var startedAt: Date
        var backlog: Int
        var finishedAt: Date?
    }

    let redis: RedisClient
    let partitions: Int
    let poll: Duration
    let sessionTimeout: Duration
    let logger: Logger
    private let lastLag = Mutex<[Int]>([])
    private let drain = Mutex<Drain?>(nil)
    private let drainSeconds = Gauge(label: "consumer_lag_drain_seconds")
    private let drained = Gauge(label: "consumer_lag_drained")
    private let backlogAtDrain = Gauge(label: "consumer_lag_backlog_at_drain")
    /// The highest total lag since the surge mark: the backlog the drain works off (requests of the
    /// surge that land after the drain mark still add to it).
    private let peak = Mutex<Int?>(nil)
    private let peakGauge = Gauge(label: "consumer_lag_peak")

    init(redis: RedisClient, partitions: Int, poll: Duration, sessionTimeout: Duration, logger: Logger) {
        self.redis = redis
        self.partitions = partitions
        self.poll = poll
        self.sessionTimeout = sessionTimeout
        self.logger = logger
        drained.record(0)
        drainSeconds.record(0)
        backlogAtDrain.record(0)
        peakGauge.record(0)
        for name in ["surge", "drain"] { Self.markGauge(name).record(0) }
    }

    static func markGauge(_ name: String) -> Gauge { Gauge(label: "lag_mark_timestamp_seconds", dimensions: [("mark", name)]) }

    var totalLag: Int { lastLag.withLock { $0.reduce(0, +) } }

    var snapshot: JSONValue {
        let lag = lastLag.withLock { $0 }
        return ["lag": .array(lag.map { .number(Double($0)) }), "total": .number(Double(lag.reduce(0, +)))]
    }

    /// Records the moment; `drain` also starts the drain clock from the current total lag.
    func mark(_ name: String) -> JSONValue {
        let now = Date()
        Self.markGauge(name).record(now.timeIntervalSince1970)
        if name == "surge" { peak.withLock { $0 = 0 } }
        if name == "drain" {
            let backlog = totalLag
            drain.withLock { $0 = Drain(startedAt: now, backlog: backlog) }
            backlogAtDrain.record(backlog)
            logger.info("drain starts with a backlog of \(backlog)")
        }
        return ["mark": .string(name), "at": .number(now.timeIntervalSince1970), "total_lag": .number(Double(totalLag))]
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                do { try await pollOnce() } catch { logger.warning("lag poll: \(error)") }
                try? await Task.sleep(for: poll)
            }
        }
    }

    private func pollOnce() async throws {
        var lags: [Int] = []
        for partition in 0..<partitions {
            let key = Topic.partitionKey(partition)
            let group = try await redis.xinfoGroups(key).first { $0.name == Topic.group }
            let length = try await redis.xlen(key)
            // Not delivered yet + delivered and not acknowledged. Redis reports `lag` as unknown only
            // after deletions or trims, which this lab never does; then the length is an upper bound.
            let lag = (group?.lag ?? length) + (group?.pending ?? 0)
            lags.append(lag)
            Gauge(label: "consumer_group_lag", dimensions: [("partition", String(partition))]).record(lag)
            Gauge(label: "topic_partition_messages", dimensions: [("partition", String(partition))]).record(length)
        }
        lastLag.withLock { $0 = lags }
        let total = lags.reduce(0, +)
        let now = Date()
        if let highest = peak.withLock({ peak -> Int? in
            if let old = peak { peak = max(old, total) }
            return peak
        }) {
            peakGauge.record(highest)
        }
        let state = drain.withLock { drain -> Drain? in
            if drain != nil, drain?.finishedAt == nil, total == 0 { drain?.finishedAt = now }
            return drain
        }
        if let state {
            drainSeconds.record((state.finishedAt ?? now).timeIntervalSince(state.startedAt))
            drained.record(state.finishedAt == nil ? 0 : 1)
        }

        let nowMs = now.timeIntervalSince1970 * 1000
        let heartbeats = try await redis.zrangeByScoreWithScores(Topic.membersKey, min: .negativeInfinity, max: .positiveInfinity)
        let live = PartitionAssignment.liveMembers(
            heartbeats: Dictionary(heartbeats.map { ($0.member, $0.score) }, uniquingKeysWith: max), now: nowMs,
            sessionTimeoutMs: Double(sessionTimeout / .milliseconds(1)))
        Gauge(label: "consumer_group_members").record(live.count)
        Gauge(label: "consumer_group_idle_members").record(PartitionAssignment.idleMembers(partitions: partitions, members: live).count)

        let counts = try await ProcessedLedger.counts(redis)
        let ledger = { (state: String) in Gauge(label: "ledger_messages", dimensions: [("state", state)]) }
        ledger("produced").record(counts.produced)
        ledger("processed").record(counts.processed)
        ledger("processed_twice").record(counts.processedTwice)
        ledger("unprocessed").record(counts.unprocessed)
    }
}

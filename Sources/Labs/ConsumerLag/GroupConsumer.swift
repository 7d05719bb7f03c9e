import Foundation
import LabKit
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// KEY IDEA: lag — messages in the log that the group has not processed yet — is the signal of a
/// consumer group, not CPU or request latency: when producers outpace consumers nothing fails, the
/// backlog just grows, and lag is the number that shows it (and the one to alert on). Adding
/// consumers raises the group's capacity only up to the partition count: each partition is read by
/// one member at a time (that is what keeps its messages in order), so a ninth member of a group
/// over eight partitions — or a fifth over four — owns nothing and idles.
///
/// A member of the group: it heartbeats into Redis every HEARTBEAT_MS, reads the live members
/// (heartbeat younger than SESSION_TIMEOUT_MS) and takes the partitions the round-robin assignment
/// gives it; then it reads each of its partitions in turn (XREADGROUP, READ_COUNT at a time),
/// spends WORK_MS per message (the fixed cost that gives one member a known capacity:
/// 1000 / WORK_MS messages a second), marks every id in the ledger and acknowledges (XACK).
/// Replicas numbered above GROUP_MEMBERS run but stay out of the group (standby).
enum GroupConsumer {
    static let membersKnob = Knob.wholeNumber(
        "GROUP_MEMBERS", default: 1, in: 1...32, "replicas that join the group (consumer-1 … consumer-N); the others stand by")
    static let workKnob = Knob.milliseconds("WORK_MS", default: 5, in: 0...10_000, "the fixed cost of processing one message")
    static let readCountKnob = Knob.wholeNumber("READ_COUNT", default: 10, in: 1...1_000, "messages one XREADGROUP takes at most")
    static let heartbeatKnob = Knob.milliseconds("HEARTBEAT_MS", default: 250, in: 10...60_000, "how often a member says it is alive")
    static let sessionKnob = Knob.milliseconds(
        "SESSION_TIMEOUT_MS", default: 1_500, in: 100...600_000, "a member whose last heartbeat is older is out of the group")
    static let knobs: [any LabKnob] =
        [membersKnob, workKnob, readCountKnob, heartbeatKnob, sessionKnob, Topic.partitionsKnob] + LabService.redisKnobs

    static func build(_ service: LabService) async throws {
        guard let redis = try service.redis() else { throw LabStartupError("a consumer needs REDIS_URL: the topic lives in Redis") }
        let name = service.context.environment["LAB_INSTANCE"] ?? service.context.serviceName
        let replica = Int(name.split(separator: "-").last ?? "") ?? 1
        let partitions = try service.knobs.read(Topic.partitionsKnob)
        try await Topic.prepare(redis, partitions: partitions)
        let member = GroupMember(
            redis: redis, name: name, joins: replica <= (try service.knobs.read(membersKnob)), partitions: partitions,
            work: try service.knobs.read(workKnob), readCount: try service.knobs.read(readCountKnob),
            heartbeat: try service.knobs.read(heartbeatKnob), sessionTimeout: try service.knobs.read(sessionKnob),
            logger: service.context.logger)
        service.addService(member)
        service.context.logger.info("\(name): \(member.joins ? "joins the group" : "standby (not a member)")")
        service.router.get("/status") { _, _ -> JSONValue in
            ["member": .string(name), "joins": .bool(member.joins), "partitions": .array(member.owned.map { .number(Double($0)) })]
        }
    }
}

/// One member's two loops: heartbeat + assignment, and read → work → ledger → XACK.
final class GroupMember: Service, Sendable {
    let redis: RedisClient
    let name: String
    let joins: Bool
    let partitions: Int
    let work: Duration
    let readCount: Int
    let heartbeat: Duration
    let sessionTimeout: Duration
    let logger: Logger
    private let ownedPartitions = Mutex<[Int]>([])
    private let processed = Counter(label: "consumer_messages_processed_total")
    private let processedTwice = Counter(label: "consumer_messages_processed_twice_total")
    private let assigned = Gauge(label: "consumer_assigned_partitions")
    private let isMember = Gauge(label: "consumer_group_member")

    init(
        redis: RedisClient, name: String, joins: Bool, partitions: Int, work: Duration, readCount: Int, heartbeat: Duration,
        sessionTimeout: Duration, logger: Logger
    ) {
        self.redis = redis
        self.name = name
        self.joins = joins
        self.partitions = partitions
        self.work = work
        self.readCount = readCount
        self.heartbeat = heartbeat
        self.sessionTimeout = sessionTimeout
        self.logger = logger
        processed.increment(by: 0)
        processedTwice.increment(by: 0)
        assigned.record(0)
        isMember.record(joins ? 1 : 0)
    }

    var owned: [Int] { ownedPartitions.withLock { $0 } }

    func run() async throws {
        guard joins else { // a standby replica: alive, not in the group, until it is stopped
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown { [self] in
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.heartbeatLoop() }
                group.addTask { await self.consumeLoop() }
            }
        }
        _ = try? await redis.zrem(Topic.membersKey, [name]) // leave the group at once, not after the session timeout
    }

    /// Every HEARTBEAT_MS: "I am alive" (ZADD now), then the live members and my share of the partitions.
    private func heartbeatLoop() async {
        while !Task.isCancelled {
            do {
                let now = Date().timeIntervalSince1970 * 1000
                try await redis.zadd(Topic.membersKey, score: now, member: name)
                let heartbeats = try await redis.zrangeByScoreWithScores(
                    Topic.membersKey, min: .negativeInfinity, max: .positiveInfinity)
                let live = PartitionAssignment.liveMembers(
                    heartbeats: Dictionary(heartbeats.map { ($0.member, $0.score) }, uniquingKeysWith: max), now: now,
                    sessionTimeoutMs: Double(sessionTimeout / .milliseconds(1)))
                let mine = PartitionAssignment.assign(partitions: partitions, members: live)[name] ?? []
                let before = ownedPartitions.withLock { owned in
                    defer { owned = mine }
                    return owned
                }
                if before != mine { logger.info("\(name): partitions \(mine) of \(partitions), \(live.count) live member(s)") }
                assigned.record(mine.count)
            } catch {
                logger.warning("heartbeat: \(error)")
            }
            try? await Task.sleep(for: heartbeat)
        }
    }

    /// Round the owned partitions: take up to READ_COUNT new messages from each, process, ledger, XACK.
    private func consumeLoop() async {
        while !Task.isCancelled {
            var took = 0
            for partition in owned {
                do {
                    took += try await consume(partition)
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("partition \(partition): \(error)")
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            if took == 0 { try? await Task.sleep(for: .milliseconds(10)) }
        }
    }

    private func consume(_ partition: Int) async throws -> Int {
        let key = Topic.partitionKey(partition)
        let entries = try await redis.xreadgroup(group: Topic.group, consumer: name, from: key, count: readCount)
        guard !entries.isEmpty else { return 0 }
        try await Task.sleep(for: work * entries.count) // the work: a fixed cost per message
        let ids = entries.compactMap { $0["id"].flatMap(Int.init) }
        let twice = try await ProcessedLedger.markProcessed(redis, ids: ids)
        try await redis.xack(key, group: Topic.group, entries.map(\.id)) // the committed offset moves only now
        processed.increment(by: ids.count)
        if twice > 0 { processedTwice.increment(by: twice) }
        return entries.count
    }
}

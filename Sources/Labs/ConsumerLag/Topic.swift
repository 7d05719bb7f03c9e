import LabKit

/// The "topic" of this lab, laid out in one Redis: a Kafka topic of `PARTITIONS` partitions is
/// `PARTITIONS` Redis Streams (`topic:orders:0` …), each with the consumer group `billing`. An entry
/// id in a stream is the partition's offset; the group's position in each stream is its committed
/// offset. Next to it: the group's membership (heartbeats in a sorted set) and the lab's own ledger
/// (how many messages were produced; a bitmap of the ids processed once, another of those processed
/// a second time).
enum Topic {
    static let group = "billing"
    static let partitionsKnob = Knob.wholeNumber("PARTITIONS", default: 4, in: 1...64, "partitions of the topic (one Redis Stream each)")

    static func partitionKey(_ partition: Int) -> String { "topic:orders:\(partition)" }
    /// Message id → partition: ids are handed out in order, so round-robin spreads them evenly
    /// (a Kafka producer with a key would hash it instead).
    static func partition(of id: Int, partitions: Int) -> Int { id % partitions }

    /// ZSET member → the time of its last heartbeat (milliseconds since the epoch).
    static let membersKey = "group:billing:members"
    /// INCRBY: the highest message id produced so far (ids start at 1).
    static let producedKey = "ledger:produced"
    /// SETBIT id: processed at least once.
    static let processedKey = "ledger:processed"
    /// SETBIT id: processed a second time (the bit in `processedKey` was already set).
    static let processedTwiceKey = "ledger:processed-twice"

    /// Creates the consumer group on every partition (BUSYGROUP is fine: someone did it first).
    static func prepare(_ redis: RedisClient, partitions: Int) async throws {
        for partition in 0..<partitions {
            try await redis.xgroupCreate(partitionKey(partition), group: group, startingAfter: .zero)
        }
    }
}

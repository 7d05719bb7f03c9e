import LabKit
import Metrics

/// The producer: each request publishes `BATCH` messages. Their ids come from one counter in Redis
/// (the ledger's "produced"), each goes to partition id % PARTITIONS. The load generator's rate ×
/// BATCH is the producer's message rate: the scenario raises it above the group's capacity and
/// drops it again.
enum Producer {
    static let batchKnob = Knob.wholeNumber("BATCH", default: 20, in: 1...1_000, "messages published per request")
    static let knobs: [any LabKnob] = [batchKnob, Topic.partitionsKnob] + LabService.redisKnobs

    static func build(_ service: LabService) async throws {
        let batch = try service.knobs.read(batchKnob)
        let partitions = try service.knobs.read(Topic.partitionsKnob)
        guard let redis = try service.redis() else { throw LabStartupError("the producer needs REDIS_URL: the topic lives in Redis") }
        let produced = Counter(label: "messages_produced_total")
        produced.increment(by: 0)

        service.router.post("/produce/:id") { _, _ -> JSONValue in
            let last = try await redis.incrBy(Topic.producedKey, batch)
            let ids = (last - batch + 1)...last
            let replies = try await redis.pipeline(
                ids.map { id in
                    [
                        "XADD", RedisArgument(Topic.partitionKey(Topic.partition(of: id, partitions: partitions))), "*", "id",
                        RedisArgument(id),
                    ]
                })
            if let failed = replies.first(where: { if case .error = $0 { true } else { false } }) {
                throw PublishFailed(reply: "\(failed)")
            }
            produced.increment(by: batch)
            return ["first": .number(Double(ids.lowerBound)), "last": .number(Double(ids.upperBound))]
        }
    }
}

/// Redis refused an XADD of the batch (the request fails; the ids already counted are then "lost" by the ledger).
struct PublishFailed: Error, CustomStringConvertible {
    let reply: String
    var description: String { "XADD failed: \(reply)" }
}

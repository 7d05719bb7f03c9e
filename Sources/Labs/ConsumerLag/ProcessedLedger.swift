import LabKit

/// The lab's own count of processing, exact rather than sampled: one bit per message id. A member
/// sets the id's bit in `ledger:processed` when it has processed the message; if the bit was set
/// already, the message was processed a second time and its bit in `ledger:processed-twice` is set.
/// At the end: lost = produced − BITCOUNT(processed), twice = BITCOUNT(processed-twice).
enum ProcessedLedger {
    static let mark = RedisScript(
        """
        local twice = 0
        for i = 1, #ARGV do
          if redis.call('SETBIT', KEYS[1], ARGV[i], 1) == 1 then
            redis.call('SETBIT', KEYS[2], ARGV[i], 1)
            twice = twice + 1
          end
        end
        return twice
        """)

    /// Marks the ids processed; returns how many of them had been processed before.
    static func markProcessed(_ redis: RedisClient, ids: [Int]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let reply = try await redis.run(mark, keys: [Topic.processedKey, Topic.processedTwiceKey], args: ids.map { RedisArgument($0) })
        guard let twice = reply.int else { throw LedgerError(reply: "\(reply)") }
        return twice
    }

    struct Counts: Sendable {
        var produced: Int
        var processed: Int
        var processedTwice: Int
        /// Produced and never processed (so far: at the end, after the drain, these are lost).
        var unprocessed: Int { produced - processed }
    }

    static func counts(_ redis: RedisClient) async throws -> Counts {
        Counts(
            produced: Int(try await redis.get(Topic.producedKey) ?? "0") ?? 0,
            processed: try await redis.bitcount(Topic.processedKey),
            processedTwice: try await redis.bitcount(Topic.processedTwiceKey))
    }
}

struct LedgerError: Error, CustomStringConvertible {
    let reply: String
    var description: String { "the ledger script answered \(reply)" }
}

import Foundation

/// One message on the `clicks` queue: the clicks of one publish batch (the codes, one entry per click,
/// a code as often as it was clicked). `batch` is unique: the consumer records it in the same
/// transaction as the counts, so a redelivered message is counted once.
struct ClickBatch: Codable, Sendable, Equatable {
    var batch: String
    var codes: [String]

    static let queue = "clicks"

    func encoded() throws -> [UInt8] { Array(try JSONEncoder().encode(self)) }

    static func decode(_ body: [UInt8]) throws -> ClickBatch { try JSONDecoder().decode(ClickBatch.self, from: Data(body)) }

    /// Clicks per code, the shape the consumer adds to `links.clicks` (sorted by code: every consumer
    /// locks the rows in the same order, so two batches never deadlock).
    var countsByCode: [(code: String, clicks: Int)] {
        var counts: [String: Int] = [:]
        for code in codes { counts[code, default: 0] += 1 }
        return counts.keys.sorted().map { ($0, counts[$0]!) }
    }
}

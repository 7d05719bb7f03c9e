import Foundation
import LabKit
import Metrics
import PostgresNIO

/// The Bloom filter of taken names: rebuilt from the users table when the service starts (one scan,
/// the bitmap computed here and written with one SET), then kept current as names are taken.
struct TakenNamesFilter: Sendable {
    let filter: RedisBloomFilter
    let metrics: NameCheckMetrics

    func mightBeTaken(_ name: String) async throws -> Bool {
        let maybe = try await filter.mightContain(name)
        metrics.bloomAnswered(maybe: maybe)
        return maybe
    }

    func add(_ name: String) async throws {
        try await filter.add(name)
        metrics.filterAdded(parameters: filter.parameters)
    }

    /// Reads every taken name (one aggregated string per 100,000 names: far fewer rows to decode than
    /// one per name), computes the bitmap and stores it.
    func rebuild(from db: LabPostgres, progress: SetupProgress) async throws {
        var names: [String] = []
        var after = ""
        while true {
            let rows = try await db.query(
                """
                SELECT count(*)::int8, max(name), string_agg(name, E'\\n') FROM (
                    SELECT name FROM users WHERE name > \(after) ORDER BY name LIMIT 100000) chunk
                """)
            guard let (count, last, joined) = try rows.first?.decode((Int, String?, String?).self), count > 0, let last, let joined
            else { break }
            names.append(contentsOf: joined.split(separator: "\n").map(String.init))
            after = last
            progress.report("read \(names.count) names")
        }
        progress.report("hashing \(names.count) names into \(filter.parameters.bits) bits")
        try await filter.replace(with: filter.parameters.bitmap(of: names))
        metrics.filterHolds(names.count, parameters: filter.parameters)
        if let bytes = try await filter.redis.memoryUsage(filter.key) { metrics.filterMemory.record(bytes) }
    }
}

/// The filter's false-positive rate measured on names that cannot be taken: COUNT names never used
/// (`probe…`), probed in pipelines; each "maybe taken" is checked in the database, so the count of
/// false positives is exact. `bloom_probe_false_positive_rate` and `bloom_probe_names`.
struct FalsePositiveProbe: Sendable {
    let filter: RedisBloomFilter
    let db: LabPostgres
    private let rate = Gauge(label: "bloom_probe_false_positive_rate")
    private let probed = Gauge(label: "bloom_probe_names")

    init(filter: RedisBloomFilter, db: LabPostgres) {
        self.filter = filter
        self.db = db
    }

    func run(count: Int) async throws -> JSONValue {
        let run = UUID().uuidString.prefix(8).lowercased()
        let names = (0..<count).map { "probe\($0)-\(run)" }
        let maybe = zip(names, try await filter.mightContain(names)).filter(\.1).map(\.0)
        let taken = try await Set(db.query("SELECT name FROM users WHERE name = ANY(\(maybe))").map { try $0.decode(String.self) })
        let falsePositives = maybe.count - taken.count
        let measured = Double(falsePositives) / Double(count - taken.count)
        rate.record(measured)
        probed.record(count)
        return ["probed": .number(Double(count)), "false_positives": .number(Double(falsePositives)), "rate": .number(measured)]
    }
}

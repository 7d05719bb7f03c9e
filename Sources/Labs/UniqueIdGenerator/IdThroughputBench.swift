import LabKit
import Metrics
import PostgresNIO

/// How many ids per second: each generator minting alone (`POST /bench` on it, one after another,
/// ids thrown away), against PostgreSQL handing out a sequence's next value (`SELECT
/// nextval('id_seq')`, one round trip per id, BENCH_SEQUENCE_CONNECTIONS connections at once).
/// The comparison is what an application gets in each design: a generator is a local call with no
/// one to ask; a sequence is a round trip to one shared server per id.
/// `id_throughput_ids_per_second{source=generator-N|postgres_sequence}`, 0 until measured.
struct IdThroughputBench: Sendable {
    let generators: [(String, PeerClient)]
    let db: LabPostgres
    let settings: IdCheckerSettings
    private let gauges: [String: Gauge]

    init(generators: [(String, PeerClient)], db: LabPostgres, settings: IdCheckerSettings) {
        self.generators = generators
        self.db = db
        self.settings = settings
        var gauges: [String: Gauge] = [:]
        for source in generators.map(\.0) + ["postgres_sequence"] {
            let gauge = Gauge(label: "id_throughput_ids_per_second", dimensions: [("source", source)])
            gauge.record(0)
            gauges[source] = gauge
        }
        self.gauges = gauges
    }

    func run() async throws -> JSONValue {
        var results: [String: JSONValue] = [:]
        let ms = Int(settings.generatorBench.inSeconds * 1000)
        for (name, generator) in generators {
            let reply = try await generator.post("/bench?ms=\(ms)", route: "/bench", timeout: .seconds(5))
            guard reply.isSuccess, let perSecond = reply.json["ids_per_second"]?.doubleValue else {
                throw GeneratorCallFailure(reason: .error, detail: "\(name) /bench: \(reply.status) \(reply.text)")
            }
            gauges[name]?.record(perSecond)
            results[name] = .number(perSecond.rounded())
        }
        let (values, seconds) = try await sequence(for: settings.sequenceBench, connections: settings.sequenceConnections)
        let perSecond = Double(values) / seconds
        gauges["postgres_sequence"]?.record(perSecond)
        results["postgres_sequence"] = .number(perSecond.rounded())
        return .object(results)
    }

    /// `SELECT nextval('id_seq')` in a loop on each of `connections` connections, for `duration`.
    private func sequence(for duration: Duration, connections: Int) async throws -> (values: Int, seconds: Double) {
        let start = ContinuousClock.now
        let logger = db.logger
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<connections {
                group.addTask {
                    try await db.withConnection { connection in
                        var values = 0
                        while ContinuousClock.now - start < duration {
                            _ = try await connection.query("SELECT nextval('id_seq')", logger: logger).collect()
                            values += 1
                        }
                        return values
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        return (values, (ContinuousClock.now - start).inSeconds)
    }
}

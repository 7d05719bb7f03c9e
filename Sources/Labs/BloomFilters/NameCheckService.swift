import LabKit
import Metrics
import PostgresNIO

/// KEY IDEA: most sign-up checks are for names nobody has, and each one costs a database lookup that
/// finds nothing. A Bloom filter — m bits in Redis, k bits per taken name — answers "definitely free"
/// from k bit reads for almost all of them, and "maybe taken" for every taken name plus a small,
/// predictable share of free ones: (1 - e^(-kn/m))^k, 2.2 % for 8 bits per name and k = 6. Only the
/// "maybe" answers go to the database, which has the final word (a false positive costs one lookup,
/// never a wrong answer; a Bloom filter has no false negatives).
enum NameCheckService {
    static func build(_ service: LabService) async throws {
        let settings = try NameCheckSettings(service.knobs)
        guard let db = try service.postgres() else { throw LabStartupError("DATABASE_URL is not set: the taken names are in PostgreSQL") }
        let metrics = NameCheckMetrics()
        let filter: TakenNamesFilter? = try {
            guard settings.check == .bloom else { return nil }
            guard let redis = try service.redis() else {
                throw LabStartupError("REDIS_URL is not set: NAME_CHECK=bloom keeps the filter in Redis")
            }
            let bloom = TakenNamesFilter(
                filter: RedisBloomFilter(redis: redis, key: "bloom:taken-names", parameters: settings.parameters), metrics: metrics)
            service.addSetup("bloom filter") { progress in try await bloom.rebuild(from: db, progress: progress) }
            return bloom
        }()
        let names = TakenNames(db: db)

        service.router.post("/bloom/probe") { request, _ -> Response in
            let count = request.uri.queryParameters.get("count", as: Int.self) ?? 20_000
            guard (1...1_000_000).contains(count) else { return .jsonError("count: expected 1…1000000", status: .badRequest) }
            // The lab's scenario probes in both variants: without a filter there is nothing to measure.
            guard let filter else { return .json(["probed": 0, "filter": .null, "note": "NAME_CHECK=database: every check is a lookup"]) }
            return .json(try await FalsePositiveProbe(filter: filter.filter, db: db).run(count: count))
        }

        service.router.get("/names/:name/available") { _, context -> Response in
            guard let name = context.parameters.get("name"), TakenNames.isValid(name) else {
                return .jsonError("name: 1 to 64 letters, digits, '-' or '_'", status: .badRequest)
            }
            var answeredBy = "database"
            var available: Bool
            if let filter, try await !filter.mightBeTaken(name) {
                available = true // no false negatives: every taken name's bits are set
                answeredBy = "bloom"
            } else {
                metrics.databaseLookups.increment()
                available = try await !names.isTaken(name)
                if available, filter != nil { metrics.falsePositives.increment() }
            }
            metrics.checked(available: available)
            return .json(["name": .string(name), "available": .bool(available), "answered_by": .string(answeredBy)])
        }

        service.router.post("/users/:name") { _, context -> Response in
            guard let name = context.parameters.get("name"), TakenNames.isValid(name) else {
                return .jsonError("name: 1 to 64 letters, digits, '-' or '_'", status: .badRequest)
            }
            // The database decides (its primary key); the filter learns the name once it is taken.
            guard try await names.take(name) else { return .jsonError("\(name) is taken", status: .conflict) }
            try await filter?.add(name)
            return .json(["name": .string(name), "created": true], status: .created)
        }
    }
}

/// The users table: the source of truth.
struct TakenNames: Sendable {
    let db: LabPostgres

    static func isValid(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { $0.isASCIIAlnum || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    func isTaken(_ name: String) async throws -> Bool {
        try await !db.query("SELECT 1 FROM users WHERE name = \(name)").isEmpty
    }

    /// True when the name was free and is now taken.
    func take(_ name: String) async throws -> Bool {
        try await !db.query("INSERT INTO users (name) VALUES (\(name)) ON CONFLICT DO NOTHING RETURNING name").isEmpty
    }
}

extension UInt8 {
    fileprivate var isASCIIAlnum: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}

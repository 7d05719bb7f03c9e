import Foundation
import LabKit
import Metrics

/// KEY IDEA: counting distinct visitors exactly means remembering every one of them. A Redis SET of a
/// month's ~1 M visitor ids takes tens of megabytes, and the month's count is a SUNIONSTORE that copies
/// every id of every day (Redis does nothing else meanwhile). A HyperLogLog remembers, in 16,384
/// registers, only how rare the rarest hash seen so far is: 12 KB per key whatever the count, an
/// estimate within ~1 % of the truth, and the month is a PFMERGE of 30 register arrays — microseconds.
/// The lab measures both with the server's own `MEMORY USAGE` and against the true count.
enum UniqueVisitorsService {
    static func build(_ service: LabService) async throws {
        let settings = try UniqueVisitorsSettings(service.knobs)
        // A SUNIONSTORE of a month of ids holds Redis for seconds, and every command behind it waits:
        // wait for them (the lesson is how long) rather than fail them after the default 2 s.
        guard let redis = try service.redis(commandTimeout: .seconds(20)) else {
            throw LabStartupError("REDIS_URL is not set: the visitors are counted in Redis")
        }
        let counter: any UniqueCounter =
            switch settings.counting {
            case .exactSet: ExactSetCounter(redis: redis)
            case .hyperloglog: HyperLogLogCounter(redis: redis)
            }
        let keys = UniqueVisitorKeys(days: settings.days)
        let truth = VisitorBitsets(pages: settings.pages, days: settings.days, population: settings.population)
        let metrics = UniqueVisitorMetrics(pages: settings.pages, windows: [1, settings.days])

        service.addSetup("history") { progress in
            try await VisitHistoryLoader(settings: settings, keys: keys, counter: counter, redis: redis, truth: truth)
                .load(progress: progress)
        }
        KeyMemoryPoller.start(redis: redis, pages: settings.pages, keys: keys, metrics: metrics)

        service.router.post("/pages/:page/visits/:visitor") { _, context -> Response in
            guard let page = context.parameters.get("page"), settings.pages.contains(page) else {
                return .jsonError("no such page (pages: \(settings.pages.joined(separator: ", ")))", status: .notFound)
            }
            guard let visitor = context.parameters.get("visitor", as: Int.self), (1...settings.population).contains(visitor) else {
                return .jsonError("visitor: expected a whole number in 1…\(settings.population)", status: .badRequest)
            }
            try await counter.add(keys.day(page, keys.today), visitors: [visitor])
            truth.insert(page: page, day: keys.today, visitor: visitor)
            return .json(["page": .string(page), "visitor": .number(Double(visitor))])
        }

        let counts = UniqueCounts(counter: counter, keys: keys, truth: truth, metrics: metrics, redis: redis)
        let logger = service.context.logger

        service.router.get("/pages/:page/uniques") { request, context -> Response in
            guard let page = context.parameters.get("page"), settings.pages.contains(page) else {
                return .jsonError("no such page (pages: \(settings.pages.joined(separator: ", ")))", status: .notFound)
            }
            let days = request.uri.queryParameters.get("days", as: Int.self) ?? 1
            guard (1...settings.days).contains(days) else {
                return .jsonError("days: expected a whole number in 1…\(settings.days)", status: .badRequest)
            }
            return .json(try await counts.count(page: page, days: days))
        }

        // The monthly report, as a scheduled job runs it: started here, answered at once, its figures in
        // the metrics when it is done (a SUNIONSTORE of a month can take longer than a caller waits).
        service.router.post("/pages/:page/reports") { request, context -> Response in
            guard let page = context.parameters.get("page"), settings.pages.contains(page) else {
                return .jsonError("no such page (pages: \(settings.pages.joined(separator: ", ")))", status: .notFound)
            }
            let days = request.uri.queryParameters.get("days", as: Int.self) ?? settings.days
            guard (2...settings.days).contains(days) else {
                return .jsonError("days: expected a whole number in 2…\(settings.days)", status: .badRequest)
            }
            Task {
                do { _ = try await counts.count(page: page, days: days) } catch {
                    logger.error("report failed", metadata: ["page": "\(page)", "days": "\(days)", "error": "\(error)"])
                }
            }
            return .json(["page": .string(page), "days": .number(Double(days)), "started": true], status: .accepted)
        }
    }
}

/// One count: Redis's answer for a page over the last N days (the day's key, or the union of N day
/// keys stored and counted), the true count beside it, how long Redis took, and — for a union — what
/// the stored union takes in memory (`MEMORY USAGE` with Redis's default sampling: the members of a
/// month's SET are alike, so five sampled ones give its size in microseconds; measuring all of a
/// million would hold Redis for seconds more).
struct UniqueCounts: Sendable {
    let counter: any UniqueCounter
    let keys: UniqueVisitorKeys
    let truth: VisitorBitsets
    let metrics: UniqueVisitorMetrics
    let redis: RedisClient

    func count(page: String, days: Int) async throws -> JSONValue {
        let start = ContinuousClock.now
        let counted =
            days == 1
            ? try await counter.count(keys.day(page, keys.today))
            : try await counter.countUnion(keys.lastDays(page, days), into: keys.union(page, days))
        let elapsed = ContinuousClock.now - start
        let exact = truth.count(page: page, days: keys.today - days + 1..<keys.today + 1)
        metrics.answered(page: page, window: days, counted: counted, exact: exact, elapsed: elapsed)
        var bytes: Int?
        if days > 1 {
            bytes = try await redis.memoryUsage(keys.union(page, days))
            if let bytes { metrics.memory(page: page, window: days, bytes: bytes) }
        }
        return [
            "page": .string(page), "days": .number(Double(days)), "counted": .number(Double(counted)), "exact": .number(Double(exact)),
            "error": .number(exact == 0 ? 0 : Double(counted - exact) / Double(exact)),
            "redis_seconds": .number(elapsed.inSeconds), "key_bytes": bytes.map { .number(Double($0)) } ?? .null,
        ]
    }
}

/// The Redis keys: one per page and day (day 0 is the oldest, DAYS-1 is today), and where a union of
/// the last N days is stored.
struct UniqueVisitorKeys: Sendable {
    let days: Int
    var today: Int { days - 1 }

    func day(_ page: String, _ day: Int) -> String { "uniques:\(page):day:\(day)" }
    func lastDays(_ page: String, _ count: Int) -> [String] { (today - count + 1...today).map { day(page, $0) } }
    func union(_ page: String, _ count: Int) -> String { "uniques:\(page):last:\(count)" }
    /// The key a window's count is read from: the day itself, or the stored union.
    func window(_ page: String, _ count: Int) -> String { count == 1 ? day(page, today) : union(page, count) }
}

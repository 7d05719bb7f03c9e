import Foundation
import LabKit
import Metrics

/// KEY IDEA: "LIMIT requests per WINDOW" can be enforced in five ways, and they disagree exactly when
/// it matters, in a burst. A FIXED WINDOW counts per window of the clock and forgets at every edge, so
/// a client that sends LIMIT just before an edge and LIMIT just after it gets 2 x LIMIT through within
/// a moment. A SLIDING LOG counts the last WINDOW exactly (never more than LIMIT); a SLIDING WINDOW
/// COUNTER estimates it from two counters (cheaper, slightly over when the previous window's requests
/// came late); a TOKEN BUCKET allows a burst of TOKEN_BURST and then the rate (at most LIMIT +
/// TOKEN_BURST in any WINDOW). A LEAKY BUCKET does not answer "yes" or "no" at once: it queues and lets
/// requests out at a fixed rate, so what passes is flat and the burst is paid for in waiting.
///
/// Every algorithm is one atomic Lua script on the one Redis (`RateLimitScripts.swift`), timed by
/// Redis's clock; the leaky bucket is a Redis list with a drainer (`LeakyBucketQueue.swift`).
///
///     POST /limit/{algorithm}/{key}   one request of client {key}, limited by {algorithm}
///     POST /orders/{client}           the api, guarded by RATE_LIMITER (one limit per client)
///     GET  /limits                    the settings, for the burst client
///
/// 200 = admitted (the leaky bucket answers when it releases the request), 429 = refused. The body
/// says when the limiter decided, by Redis's clock (`decided_at_us`), so a client can count exactly
/// what went through in any stretch of time.
enum RateLimiterService {
    static func build(_ service: LabService) async throws {
        let settings = try RateLimitSettings(service.knobs)
        guard let redis = try service.redis() else { throw LabStartupError("REDIS_URL is not set: the limits live in Redis") }
        service.telemetry.registry.configureBuckets(
            forMetric: "leaky_bucket_wait_seconds",
            [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.2, 1.4, 1.6, 1.8, 2, 2.2, 2.5, 3, 3.5, 4, 5, 7.5, 10])
        let limiters = RedisRateLimiters(settings: settings, redis: redis)

        service.router.post("/limit/:algorithm/:key") { _, context -> Response in
            let name = context.parameters.get("algorithm") ?? ""
            guard let algorithm = RateLimitAlgorithm(rawValue: name) else {
                let names = RateLimitAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
                return .jsonError("no such algorithm '\(name)': \(names)", status: .notFound)
            }
            let key = context.parameters.get("key") ?? "anonymous"
            return try await limiters.answer(limiter: algorithm.rawValue, algorithm: algorithm, key: "\(algorithm.rawValue):\(key)")
        }

        service.router.post("/orders/:client") { _, context -> Response in
            let client = context.parameters.get("client") ?? "anonymous"
            return try await limiters.answer(limiter: "api", algorithm: settings.apiAlgorithm, key: "api:\(client)")
        }

        service.router.get("/limits") { _, _ -> JSONValue in
            [
                "limit": .number(Double(settings.limit)), "window_us": .number(Double(settings.windowMicros)),
                "token_burst": .number(Double(settings.tokenBurst)), "leaky_queue": .number(Double(settings.leakyQueue)),
                "interval_us": .number(Double(settings.intervalMicros)), "api_algorithm": .string(settings.apiAlgorithm.rawValue),
            ]
        }
    }
}

/// Every algorithm over the one Redis, and `rate_limit_decisions_total{limiter, algorithm, decision}`
/// (limiter = the algorithm's own route, or `api`).
struct RedisRateLimiters: Sendable {
    let settings: RateLimitSettings
    let scripted: [RateLimitAlgorithm: ScriptedRateLimit]
    let leaky: LeakyBucketQueue
    private let decisions: [String: Counter]

    init(settings: RateLimitSettings, redis: RedisClient) {
        self.settings = settings
        var scripted: [RateLimitAlgorithm: ScriptedRateLimit] = [:]
        for algorithm in RateLimitAlgorithm.allCases where algorithm != .leakyBucket {
            scripted[algorithm] = ScriptedRateLimit(algorithm: algorithm, settings: settings, redis: redis)
        }
        self.scripted = scripted
        leaky = LeakyBucketQueue(
            redis: redis, capacity: settings.leakyQueue, intervalMicros: settings.intervalMicros, metrics: LeakyBucketMetrics())
        var decisions: [String: Counter] = [:]
        let routes = RateLimitAlgorithm.allCases.map { ($0.rawValue, $0) } + [("api", settings.apiAlgorithm)]
        for (limiter, algorithm) in routes {
            for decision in ["admitted", "refused"] {
                let counter = Counter(
                    label: "rate_limit_decisions_total",
                    dimensions: [("limiter", limiter), ("algorithm", algorithm.rawValue), ("decision", decision)])
                counter.increment(by: 0)
                decisions["\(limiter)/\(decision)"] = counter
            }
        }
        self.decisions = decisions
    }

    func decide(algorithm: RateLimitAlgorithm, key: String) async throws -> RateLimitDecision {
        let requestID = UUID().uuidString
        if algorithm == .leakyBucket { return try await leaky.check(key, requestID: requestID) }
        guard let limiter = scripted[algorithm] else { preconditionFailure("every scripted algorithm has a limiter") }
        return try await limiter.check(key, requestID: requestID)
    }

    func answer(limiter: String, algorithm: RateLimitAlgorithm, key: String) async throws -> Response {
        let decision = try await decide(algorithm: algorithm, key: key)
        decisions["\(limiter)/\(decision.admitted ? "admitted" : "refused")"]?.increment()
        var body: [String: JSONValue] = [
            "limiter": .string(limiter), "algorithm": .string(algorithm.rawValue), "admitted": .bool(decision.admitted),
            "decided_at_us": .number(Double(decision.decidedAtMicros)),
        ]
        for (name, value) in decision.detail { body[name] = value }
        return .json(.object(body), status: decision.admitted ? .ok : .tooManyRequests)
    }
}

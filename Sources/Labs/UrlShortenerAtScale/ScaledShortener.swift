import LabKit
import Metrics

/// KEY IDEA: at scale, a redirect must not wait for the database to WRITE. Week 5's shortener reads
/// links from a cache; here three replicas behind a balancer share a cache sharded on a consistent-hash
/// ring and a per-client rate limit in Redis — and every redirect is also a click to count. Committing
/// that click to PostgreSQL before the 302 (`CLICKS=sync-db`) puts a pooled connection, four round
/// trips and a WAL flush on every redirect: the replicas queue for a few connections and the
/// redirect's tail becomes the database's queue. Publishing the click to RabbitMQ (`CLICKS=broker`),
/// batched with the other redirects of the moment and confirmed by the broker, keeps the guarantee
/// (an acknowledged click is durable: 0 lost, counted in the end) while the analytics consumer writes
/// PostgreSQL in batches, off the redirect path.
///
///     GET /r/{code}   (header x-client-id: who is clicking)
///         → 429 when the client is over RATE_LIMIT per RATE_WINDOW_MS (one Lua script in Redis `limits`)
///         → the long URL: the ring's cache shard, PostgreSQL on a miss (then cached)
///         → the click recorded (CLICKS) → 302 Location: the long URL
enum ScaledShortener {
    static func build(_ service: LabService) async throws {
        let settings = try ScaleSettings(service.knobs)
        guard let db = try service.postgres() else { throw LabStartupError("DATABASE_URL is not set: the shortener needs PostgreSQL") }
        let redisPool = try service.knobs.read(LabService.redisPoolSize)
        func redis(_ name: String, _ url: String) throws -> RedisClient {
            let client: RedisClient
            do { client = try RedisClient(url: url, poolSize: redisPool, commandTimeout: .seconds(2)) } catch {
                throw LabStartupError("\(name): \(error)")
            }
            service.addService(client)
            service.addReadinessCheck(name) { _ = try await client.ping() }
            return client
        }
        guard let limitsURL = service.context.environment["LIMITS_URL"] else {
            throw LabStartupError("LIMITS_URL is not set: the rate limit needs a Redis named `limits`")
        }
        let limiter = RedisSlidingLogRateLimiter(
            redis: try redis("limits", limitsURL), limit: settings.rateLimit, window: settings.rateWindow, keyPrefix: "clicks-per-client")
        let shardURLs = ShardedLinkCache.shardURLs(service.context.environment)
        guard !shardURLs.isEmpty else {
            throw LabStartupError("no CACHE_<n>_URL: the link cache needs Redis shards named cache-1, cache-2, …")
        }
        var shards: [String: LinkCache] = [:]
        for (name, url) in shardURLs { shards[name] = LinkCache(redis: try redis(name, url), ttlMilliseconds: 3_600_000) }
        let cache = ShardedLinkCache(shards: shards)
        let store = LinkStore(db: db, lookupCostSeconds: 0)

        let clicks: any ClickRecorder
        switch settings.clicks {
        case .syncDatabase:
            clicks = SyncClickWriter(db: db)
        case .broker:
            guard let rabbit = try service.rabbitmq() else { throw LabStartupError("CLICKS=broker needs RABBITMQ_URL") }
            try await rabbit.declare(RabbitMQTopology(queues: [.classic(ClickBatch.queue)]))
            let publisher = BrokerClickPublisher(rabbit: rabbit, maxBatch: settings.publishBatchMax)
            service.addService(publisher.batcher)
            clicks = publisher
        }

        LinkCache.registerMetrics()
        LinkStore.registerMetrics()
        for stage in [SyncClickWriter.poolWait, SyncClickWriter.transaction] { stage.recordNanoseconds(0) }
        service.telemetry.registry.configureBuckets(forMetric: "redirect_duration_seconds", RedisClient.durationBuckets)
        service.telemetry.registry.configureBuckets(forMetric: "click_record_duration_seconds", RedisClient.durationBuckets)
        service.telemetry.registry.configureBuckets(forMetric: "click_write_stage_seconds", RedisClient.durationBuckets)
        let redirectTime = Timer(label: "redirect_duration_seconds", preferredDisplayUnit: .seconds)
        let clickTime = Timer(
            label: "click_record_duration_seconds", dimensions: [("path", settings.clicks.rawValue)], preferredDisplayUnit: .seconds)
        let decisions = ["admitted", "refused", "error"].reduce(into: [String: Counter]()) { counters, decision in
            counters[decision] = Counter(label: "ratelimit_decisions_total", dimensions: [("decision", decision)])
            counters[decision]!.increment(by: 0)
        }
        let acknowledged = Counter(label: "clicks_acknowledged_total")
        acknowledged.increment(by: 0)

        service.router.get("/r/:code") { request, context -> Response in
            let started = ContinuousClock.now
            let code = context.parameters.get("code") ?? ""
            guard (1...16).contains(code.utf8.count), code.utf8.allSatisfy({ ShortCodes.alphabet.contains($0) }) else {
                return .jsonError("'\(code)' is not a short code: 1 to 16 characters of 0-9, A-Z, a-z", status: .badRequest)
            }
            // 1. The per-client limit, shared by the three replicas (the balancer spreads one client over all of them).
            let client = request.headers[values: .init("x-client-id")!].first ?? "anonymous"
            let decision: RedisSlidingLogRateLimiter.Decision
            do { decision = try await limiter.check(client) } catch {
                decisions["error"]!.increment()
                throw error
            }
            guard decision.admitted else {
                decisions["refused"]!.increment()
                let seconds = max(1, Int((decision.retryAfter / .seconds(1)).rounded(.up)))
                var refused = Response.jsonError("client \(client) is over its limit", status: .tooManyRequests)
                refused.headers[.retryAfter] = "\(seconds)"
                return refused
            }
            decisions["admitted"]!.increment()
            // 2. The long URL: the code's shard on the ring, then PostgreSQL (read-only: a primary-key lookup).
            var target = try? await cache.lookup(code)
            if target == nil, let found = try await store.lookup([code])[code] {
                target = found
                try? await cache.store(Link(code: code, url: found))
            }
            guard let url = target else { return .jsonError("no link has the code \(code)", status: .notFound) }
            // 3. The click, durable before the visitor hears 302.
            let clickStarted = ContinuousClock.now
            try await clicks.record(code: code, client: client)
            clickTime.recordInterval(since: clickStarted)
            acknowledged.increment()
            redirectTime.recordInterval(since: started)
            return Response(status: .found, headers: [.location: url])
        }
    }
}

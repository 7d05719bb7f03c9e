import Foundation
import HTTPTypes
import LabKit

/// KEY IDEA: a limit "per API key" is a promise about the whole service, not about one process.
/// Three api instances behind a balancer that each keep their own count admit three times the
/// limit. Sharing the count in Redis is not enough either: "read the count, then add to it" in two
/// round trips lets every request that read before the others wrote through, so a synchronised burst
/// overshoots. The fix is ONE Lua script that reads, decides and writes in one step inside Redis
/// (LabKit's `RedisSlidingLogRateLimiter`): exactly LIMIT per window, whatever the concurrency.
/// And when Redis itself is gone, the limiter must still choose: FAIL OPEN (admit everything: the
/// service stays up, the limit is gone) or a LOCAL FALLBACK at this instance's share of the limit
/// (LIMIT / NODES each, about LIMIT together). This lab chooses the local share.
///
///     GET /v1/quotes/{symbol}   X-API-Key: <key>   200 admitted, 429 refused (Retry-After), 400 no key
///     GET /v1/limits            the limit's settings (for the burst client)
///
/// The api does not report itself "not ready" when Redis is down (no Redis readiness check): the
/// balancer must keep sending it traffic, and the limiter's policy decides what happens to it.
enum LimitedApi {
    static let apiKeyHeader = HTTPField.Name("X-API-Key")!

    static func build(_ service: LabService) async throws {
        let settings = try LimiterSettings(service.knobs)
        let limiter = try ApiKeyLimiter(settings: settings, redis: try redisClient(service, settings))
        let instance = service.context.environment["LAB_INSTANCE"] ?? service.context.serviceName

        service.router.get("/v1/quotes/:symbol") { request, context -> Response in
            let symbol = context.parameters.get("symbol") ?? ""
            guard let key = request.headers[apiKeyHeader]?.trimmingCharacters(in: .whitespaces), !key.isEmpty else {
                return .jsonError("missing X-API-Key header: the limit is per API key", status: .badRequest)
            }
            guard key.utf8.count <= 128 else { return .jsonError("X-API-Key is longer than 128 bytes", status: .badRequest) }
            let decision = await limiter.decide(key)
            context.span?.attributes["ratelimit.limiter"] = decision.path.rawValue
            context.span?.attributes["ratelimit.admitted"] = decision.admitted
            guard decision.admitted else {
                var body: [String: JSONValue] = [
                    "error": .string("rate limit: \(settings.limit) requests per \(settings.window) per API key"),
                    "limiter": .string(decision.path.rawValue), "served_by": .string(instance),
                ]
                // Retry-After when the limiter knows when the oldest admission leaves the window.
                let retrySeconds = decision.retryAfter.map { Int(($0 / .seconds(1)).rounded(.up)) }
                if let retrySeconds { body["retry_after_s"] = .number(Double(retrySeconds)) }
                var response = Response.json(.object(body), status: .tooManyRequests)
                if let retrySeconds { response.headers[.retryAfter] = "\(retrySeconds)" }
                return response
            }
            // The price is a stand-in, the same on every instance.
            let price = Double(symbol.utf8.reduce(0) { ($0 * 31 + Int($1)) % 10_000 }) / 100
            return .json([
                "symbol": .string(symbol), "price": .number(price),
                "limiter": .string(decision.path.rawValue), "served_by": .string(instance),
            ])
        }

        service.router.get("/v1/limits") { _, _ -> JSONValue in
            [
                "limiter": .string(settings.kind.rawValue), "limit": .number(Double(settings.limit)),
                "window_ms": .number(settings.window / .milliseconds(1)), "nodes": .number(Double(settings.nodes)),
                "node_share": .number(Double(settings.nodeShare)), "on_redis_down": .string(settings.onRedisDown.rawValue),
            ]
        }
    }

    /// The limiter's Redis client, with short timeouts (an unreachable Redis must cost a request
    /// milliseconds, not seconds) and on purpose WITHOUT `LabService.redis()`'s readiness check.
    private static func redisClient(_ service: LabService, _ settings: LimiterSettings) throws -> RedisClient? {
        guard settings.kind != .local else { return nil }
        guard let url = service.context.environment["REDIS_URL"], !url.isEmpty else { return nil }
        let client: RedisClient
        do {
            client = try RedisClient(
                url: url, poolSize: settings.redisPoolSize, connectTimeout: settings.redisTimeout, commandTimeout: settings.redisTimeout)
        } catch {
            throw LabStartupError("REDIS_URL: \(error)")
        }
        service.telemetry.registry.configureBuckets(forMetric: "redis_client_command_duration_seconds", RedisClient.durationBuckets)
        service.addService(client)
        return client
    }
}

import LabKit
import Metrics

/// The central rate limiter, a service of its own that every caller asks before it serves a request.
/// The count lives in Redis (LabKit's `RedisSlidingLogRateLimiter`: one Lua script reads, decides and
/// adds, so the callers share one exact count per client); the limits per client live here
/// (`ClientLimits`) and change at run time.
///
///     POST /v1/check/{client}    200 {"allowed", "limit", "used", "retry_after_ms"}; 503 when Redis does not answer
///     GET  /v1/limits            every configured limit, and the default
///     PUT  /v1/limits/{client}   {"limit": 30}: the new limit, from the next decision on (400 with a reason otherwise)
///
/// Its `/readyz` includes Redis: a caller's probe ("is the limiter back?") asks it.
enum LimiterService {
    static func build(_ service: LabService) async throws {
        let settings = try LimiterServiceSettings(service.knobs)
        guard let redis = try service.redis(commandTimeout: .seconds(1)) else {
            throw LabStartupError("the limiter keeps its counts and limits in Redis: REDIS_URL is not set")
        }
        let limits = ClientLimits(initial: settings.initialLimits, defaultLimit: settings.defaultLimit, redis: redis)
        let decisions = DecisionCounters(clients: Array(settings.initialLimits.keys))

        service.router.post("/v1/check/:client") { _, context -> Response in
            let client = context.parameters.get("client") ?? ""
            guard ClientLimits.isValidClient(client) else {
                return .jsonError("a client id is 1-64 characters of a-z 0-9 . _ -", status: .badRequest)
            }
            let (limit, configured) = await limits.limit(for: client)
            let limiter = RedisSlidingLogRateLimiter(redis: redis, limit: limit, window: settings.window, keyPrefix: "ratelimit:log")
            let decision: RedisSlidingLogRateLimiter.Decision
            do {
                decision = try await limiter.check(client)
            } catch {
                decisions.count(client: configured ? client : "other", outcome: "error")
                return .jsonError("the count could not be read: \(error)", status: .serviceUnavailable)
            }
            decisions.count(client: configured ? client : "other", outcome: decision.admitted ? "admitted" : "refused")
            return .json([
                "client": .string(client), "allowed": .bool(decision.admitted), "limit": .number(Double(limit)),
                "used": .number(Double(decision.used)), "retry_after_ms": .number(decision.retryAfter / .milliseconds(1)),
                "window_ms": .number(settings.window / .milliseconds(1)),
            ])
        }

        service.router.get("/v1/limits") { _, _ -> JSONValue in
            let all = await limits.all()
            return [
                "limits": .object(all.mapValues { .number(Double($0)) }), "default": .number(Double(settings.defaultLimit)),
                "window_ms": .number(settings.window / .milliseconds(1)),
            ]
        }

        service.router.put("/v1/limits/:client") { request, context -> Response in
            let client = context.parameters.get("client") ?? ""
            guard ClientLimits.isValidClient(client) else {
                return .jsonError("a client id is 1-64 characters of a-z 0-9 . _ -", status: .badRequest)
            }
            let body = try? await request.body.collect(upTo: 16 * 1024)
            guard let body, case .object(let fields)? = try? JSONValue.parse(body.readableBytesView) else {
                return .jsonError("the body must be a JSON object: {\"limit\": 30}", status: .badRequest)
            }
            guard let limit = fields["limit"]?.intValue, Double(limit) == fields["limit"]?.doubleValue,
                ClientLimits.allowedLimits.contains(limit)
            else {
                return .jsonError(
                    "'limit' must be a whole number of requests per window, 1...\(ClientLimits.allowedLimits.upperBound)",
                    status: .badRequest)
            }
            do {
                let previous = try await limits.set(client, to: limit)
                decisions.prepare(client: client)
                context.logger.info("limit of \(client): \(previous.map(String.init) ?? "default") -> \(limit)")
                return .json([
                    "client": .string(client), "limit": .number(Double(limit)),
                    "previous": previous.map { .number(Double($0)) } ?? .null,
                ])
            } catch ClientLimits.SetError.tooManyClients {
                return .jsonError("at most \(ClientLimits.maximumClients) configured clients", status: .unprocessableContent)
            } catch {
                return .jsonError("the limit could not be stored in Redis: \(error)", status: .serviceUnavailable)
            }
        }
    }
}

/// `ratelimit_service_decisions_total{client, outcome="admitted|refused|error"}`: configured clients by
/// name, every other one as `other` (the label stays bounded); each series made at 0 first.
final class DecisionCounters: Sendable {
    init(clients: [String]) {
        for client in clients + ["other"] { prepare(client: client) }
    }

    func prepare(client: String) {
        for outcome in ["admitted", "refused", "error"] { counter(client, outcome).increment(by: 0) }
    }

    func count(client: String, outcome: String) { counter(client, outcome).increment() }

    private func counter(_ client: String, _ outcome: String) -> Counter {
        Counter(label: "ratelimit_service_decisions_total", dimensions: [("client", client), ("outcome", outcome)])
    }
}

import Foundation
import HTTPTypes
import LabKit

/// KEY IDEA: a central rate limiter is a dependency like any other, and every request depends on it.
/// Its latency is added to every request, and its outage is every caller's problem. The callers must
/// decide in advance what happens when it does not answer:
/// - FAIL OPEN (serve anyway): the callers stay up, and the protection is gone: an abusive client gets
///   everything it asks for for as long as the limiter is down.
/// - FAIL CLOSED (refuse): the limit holds, and the limiter's outage spreads to every caller:
///   legitimate clients get 503s.
/// - Both, with the usual 1 s timeout, make every request wait that second when the limiter HANGS
///   (a stopped process accepts connections and never answers).
/// The fix: a SHORT timeout (the limiter's share of the latency budget, 100 ms here), a LOCAL
/// FALLBACK BUCKET at this caller's share of the client's limit (limit / NODES, so the callers
/// together still admit about the limit), and, after a few failures in a row, no more waiting at
/// all: requests decide locally at once while a background probe looks for the limiter's return.
///
///     GET /v1/quotes/{symbol}   X-Client-Id: <client>   200 admitted, 429 refused (Retry-After),
///                                                      503 limiter down and ON_LIMITER_DOWN=fail-closed, 400 no id
///     GET /v1/limiter           this caller's settings
///
/// The caller's `/readyz` does not include the limiter: the balancer keeps sending it traffic, and
/// ON_LIMITER_DOWN decides what happens to it.
enum LimitedCaller {
    static let clientHeader = HTTPField.Name("X-Client-Id")!

    static func build(_ service: LabService) async throws {
        let settings = try CallerSettings(service.knobs)
        // 1 ms to 30 s, 5 % apart: a local decision (under 1 ms), a round trip, a 100 ms or 1 s timeout.
        service.telemetry.registry.configureBuckets(forMetric: "ratelimit_decision_duration_seconds", LatencyBuckets.fine)
        let check = LimiterCheck(settings: settings, limiter: try service.context.peer("limiter", timeout: settings.limiterTimeout))
        let instance = service.context.environment["LAB_INSTANCE"] ?? service.context.serviceName

        service.router.get("/v1/quotes/:symbol") { request, context -> Response in
            let symbol = context.parameters.get("symbol") ?? ""
            guard let client = request.headers[clientHeader]?.trimmingCharacters(in: .whitespaces), !client.isEmpty else {
                return .jsonError("missing X-Client-Id header: the limit is per client", status: .badRequest)
            }
            guard ClientLimits.isValidClient(client) else {
                return .jsonError("X-Client-Id is 1-64 characters of a-z 0-9 . _ -", status: .badRequest)
            }
            let decision = await check.decide(client)
            context.span?.attributes["ratelimit.source"] = decision.source.rawValue
            context.span?.attributes["ratelimit.admitted"] = decision.admitted
            if decision.source == .failClosed {
                return .jsonError("the rate limiter did not answer and this caller fails closed", status: .serviceUnavailable)
            }
            guard decision.admitted else {
                var response = Response.json(
                    [
                        "error": .string("rate limit of client \(client)"), "source": .string(decision.source.rawValue),
                        "served_by": .string(instance),
                    ], status: .tooManyRequests)
                let retrySeconds = max(1, ((decision.retryAfterMilliseconds ?? 1_000) + 999) / 1_000)
                response.headers[.retryAfter] = "\(retrySeconds)"
                return response
            }
            // The quote is a stand-in, the same on every caller.
            let price = Double(symbol.utf8.reduce(0) { ($0 * 31 + Int($1)) % 10_000 }) / 100
            return .json([
                "symbol": .string(symbol), "price": .number(price), "source": .string(decision.source.rawValue),
                "served_by": .string(instance),
            ])
        }

        service.router.get("/v1/limiter") { _, _ -> JSONValue in
            [
                "limiter_timeout_ms": .number(settings.limiterTimeout / .milliseconds(1)),
                "on_limiter_down": .string(settings.onLimiterDown.rawValue), "nodes": .number(Double(settings.nodes)),
                "skip_after_failures": .number(Double(settings.skipAfterFailures)),
                "probe_every_ms": .number(settings.probeEvery / .milliseconds(1)),
            ]
        }
    }
}

import Foundation
import LabKit
import NIOHTTP1
import Synchronization

/// The synchronised burst: each round, one NEW API key (so every round starts from an empty limit)
/// sends BURST requests at once through the balancer (LB_URL), which spreads them over the three api
/// instances. The answers are counted exactly: admitted (200), refused (429), failed (anything else).
/// A round's lesson is one number, admitted / LIMIT: 1 is the promise kept.
///
///     POST /rounds/start  {"phase": "shared"}   rounds every ROUND_EVERY_MS, counted under that phase
///     POST /rounds/stop                          no new round; answers when the one under way is counted
///     GET  /rounds                               every counted round
enum BurstClient {
    static func build(_ service: LabService) async throws {
        let settings = try BurstSettings(service.knobs)
        var lb = try service.context.peer("lb", timeout: settings.timeout)
        // Its own connections, one per request of a burst: they all leave at once.
        lb.pool = service.connectionPool(name: "burst", size: settings.burst, maxWait: settings.timeout)
        let runner = BurstRunner(settings: settings, lb: lb, logger: service.context.logger)
        // Registered after the pool, so stopped before it: the round under way finishes, then the pool closes.
        service.onShutdown { await runner.stop() }

        service.router.post("/rounds/start") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 4 * 1024)
            guard case .object(let fields)? = try? JSONValue.parse(body.readableBytesView), let phase = fields["phase"]?.stringValue,
                !phase.isEmpty, phase.count <= 40
            else { return .jsonError("body: expected {\"phase\": a name of at most 40 characters}", status: .badRequest) }
            await runner.start(phase: phase)
            return .json(["started": .string(phase)])
        }
        service.router.post("/rounds/stop") { _, _ -> JSONValue in
            await runner.stop()
            return ["stopped": true]
        }
        service.router.get("/rounds") { _, _ -> JSONValue in
            .array(
                runner.results.map {
                    [
                        "phase": .string($0.phase), "round": .number(Double($0.round)), "admitted": .number(Double($0.admitted)),
                        "refused": .number(Double($0.refused)), "failed": .number(Double($0.failed)),
                        "admitted_over_limit": .number($0.admittedOverLimit),
                    ]
                })
        }
    }
}

/// Runs the rounds, one at a time.
final class BurstRunner: Sendable {
    let settings: BurstSettings
    let lb: PeerClient
    let logger: Logger
    let metrics = RoundMetrics()
    private let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
    private let state = Mutex(State())

    private struct State {
        var scheduler: Task<Void, Never>?
        var results: [RoundResult] = []
        var limit: Int?
        var round = 0
    }

    init(settings: BurstSettings, lb: PeerClient, logger: Logger) {
        self.settings = settings
        self.lb = lb
        self.logger = logger
    }

    var results: [RoundResult] { state.withLock { $0.results } }

    /// Stops the rounds under way (if any) and starts rounds counted under `phase`.
    func start(phase: String) async {
        await stop()
        state.withLock { state in
            // Detached: the rounds are not part of the /rounds/start request's trace; each is a trace of its own.
            state.scheduler = Task.detached { await self.schedule(phase: phase) }
        }
    }

    /// No new round; returns once the round under way is counted.
    func stop() async {
        let scheduler = state.withLock { state in
            defer { state.scheduler = nil }
            return state.scheduler
        }
        scheduler?.cancel()
        await scheduler?.value
    }

    private func schedule(phase: String) async {
        let clock = ContinuousClock()
        var next = clock.now
        while !Task.isCancelled {
            do {
                let limit = try await readLimit()
                metrics.open(phase: phase, limit: limit)
                let round = state.withLock { state in
                    state.round += 1
                    return state.round
                }
                // A round, once started, is finished and counted even if stop() comes meanwhile.
                let result = await Task { await self.run(phase: phase, round: round, limit: limit) }.value
                state.withLock { $0.results.append(result) }
                metrics.record(result)
                logger.info(
                    "round \(round) (\(phase)): \(result.admitted) admitted, \(result.refused) refused, \(result.failed) failed; \(result.admitted)/\(limit) = \(String(format: "%.2f", result.admittedOverLimit)) x the limit"
                )
            } catch {
                logger.warning("burst round: \(error)")
            }
            next = max(next + settings.roundEvery, clock.now)
            try? await clock.sleep(until: next)
        }
    }

    /// The limit, as the api reports it (GET /v1/limits, once).
    private func readLimit() async throws -> Int {
        if let known = state.withLock({ $0.limit }) { return known }
        let reply = try await lb.get("/v1/limits", route: "/v1/limits")
        guard reply.isSuccess, let limit = reply.json["limit"]?.intValue, limit >= 1 else {
            throw LabStartupError("GET /v1/limits answered \(reply.status) without a limit")
        }
        state.withLock { $0.limit = limit }
        return limit
    }

    /// One round is one trace: `burst round`, with every request of the burst under it.
    private func run(phase: String, round: Int, limit: Int) async -> RoundResult {
        let key = "burst-\(tag)-\(round)"
        let headers: HTTPHeaders = ["X-API-Key": key]
        return await withSpan("burst round") { span in
            span.attributes["ratelimit.round"] = round
            span.attributes["ratelimit.phase"] = phase
            var result = RoundResult(phase: phase, round: round, limit: limit)
            await withTaskGroup(of: Int?.self) { group in
                for _ in 0..<settings.burst {
                    group.addTask {
                        try? await self.lb.get("/v1/quotes/ACME", route: "/v1/quotes/{symbol}", headers: headers).status
                    }
                }
                for await status in group {
                    switch status {
                    case 200: result.admitted += 1
                    case 429: result.refused += 1
                    default: result.failed += 1
                    }
                }
            }
            span.attributes["ratelimit.admitted"] = result.admitted
            return result
        }
    }
}

import Foundation
import LabKit
import Metrics
import Synchronization

/// The burst client: the attack on a fixed window, timed on purpose rather than left to luck. Each
/// round it reads Redis's clock (`TIME`, the clock every limiter decides by), picks the next window
/// edge, and starts a burst BURST_LEAD_MS before it, BURST_RATE requests per second for BURST_MS, to
/// every limiter at the same moments (a new client key per round). It records every answer: admitted
/// or refused, and when the limiter decided (Redis's clock, from the answer). From those it counts,
/// exactly, the most each limiter let through in any stretch of one window's length, its peak rate,
/// and the longest wait of an admitted request.
///
///     POST /rounds/start   rounds, one every ROUND_EVERY_WINDOWS windows, until /rounds/stop
///     POST /rounds/stop    no new round (the ones under way finish)
///     GET  /rounds         every finished round's figures
enum BoundaryBurstClient {
    static func build(_ service: LabService) async throws {
        let plan = try BurstPlan(service.knobs)
        guard let redis = try service.redis() else { throw LabStartupError("REDIS_URL is not set: the bursts are timed by Redis's clock") }
        var limiter = try service.context.peer("limiter", timeout: .seconds(15))
        // Its own connections: a leaky bucket holds dozens of requests open for seconds.
        limiter.pool = service.connectionPool(name: "limiter", size: 256, maxWait: .seconds(5))
        let metrics = BurstMetrics()
        let runner = BurstRoundRunner(plan: plan, redis: redis, limiter: limiter, metrics: metrics, logger: service.context.logger)

        service.router.post("/rounds/start") { _, _ -> JSONValue in
            ["started": .bool(runner.start())]
        }
        service.router.post("/rounds/stop") { _, _ -> JSONValue in
            runner.stop()
            return ["stopped": true]
        }
        service.router.get("/rounds") { _, _ -> JSONValue in
            .array(runner.results.map(\.json))
        }
    }
}

/// Schedules the rounds and sends their bursts.
final class BurstRoundRunner: Sendable {
    let plan: BurstPlan
    let redis: RedisClient
    let limiter: PeerClient
    let metrics: BurstMetrics
    let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var running = false
        var scheduler: Task<Void, Never>?
        var results: [BurstRoundResult] = []
    }

    init(plan: BurstPlan, redis: RedisClient, limiter: PeerClient, metrics: BurstMetrics, logger: Logger) {
        self.plan = plan
        self.redis = redis
        self.limiter = limiter
        self.metrics = metrics
        self.logger = logger
    }

    var results: [BurstRoundResult] { state.withLock { $0.results } }

    /// Starts the rounds; false if they already run.
    func start() -> Bool {
        state.withLock { state in
            guard !state.running else { return false }
            state.running = true
            // Detached: the rounds are not part of the /rounds/start request's trace; each is a trace of its own.
            state.scheduler = Task.detached { await self.schedule() }
            return true
        }
    }

    func stop() {
        state.withLock { $0.running = false }
    }

    private var isRunning: Bool { state.withLock { $0.running } }

    private func schedule() async {
        let clock = ContinuousClock()
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        var limits: ReportedLimits?
        var lastEdge: Int?
        var round = 0
        while isRunning {
            do {
                if limits == nil { limits = ReportedLimits(try await limiter.get("/limits", route: "/limits").json) }
                guard let limits else { throw LabStartupError("the limiter's /limits answer has no limits") }
                metrics.expect(limits)
                // Redis's clock against ours: TIME, halfway through the round trip.
                let before = clock.now
                let redisNow = try await redis.serverTime().wholeMicroseconds
                let after = clock.now
                let anchor = before + (after - before) / 2
                // The next edge far enough ahead to start the burst's lead on time, and ROUND_EVERY_WINDOWS
                // windows after the previous round's.
                var edge = AdmissionStatistics.nextEdge(
                    atOrAfter: redisNow + plan.lead.wholeMicroseconds + 200_000, window: limits.windowMicros)
                if let lastEdge { edge = max(edge, lastEdge + plan.everyWindows * limits.windowMicros) }
                lastEdge = edge
                round += 1
                let burstStart = anchor + .microseconds(edge - plan.lead.wholeMicroseconds - redisNow)
                try await clock.sleep(until: burstStart)
                guard isRunning else { return }
                let number = round
                let key = "burst-\(tag)-\(number)"
                // The round runs on while the next one is scheduled (the leaky bucket answers for seconds).
                Task { await self.run(round: number, key: key, edge: edge, start: burstStart, limits: limits) }
            } catch {
                logger.warning("burst round: \(error)")
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// One round is one trace: `burst round`, with every request of the burst under it.
    private func run(round: Int, key: String, edge: Int, start: ContinuousClock.Instant, limits: ReportedLimits) async {
        await withSpan("burst round") { span in
            span.attributes["ratelimit.round"] = round
            span.attributes["ratelimit.client_key"] = key
            span.attributes["ratelimit.edge_us"] = edge
            await burst(round: round, key: key, edge: edge, start: start, limits: limits)
        }
    }

    private func burst(round: Int, key: String, edge: Int, start: ContinuousClock.Instant, limits: ReportedLimits) async {
        let clock = ContinuousClock()
        let count = plan.requestsPerTarget
        let spacing = Duration.seconds(1) / plan.rate
        let answers = await withTaskGroup(of: BurstAnswer.self) { group in
            let firstMicros = edge - plan.lead.wholeMicroseconds
            for index in 0..<count {
                try? await clock.sleep(until: start + spacing * index)
                let scheduled = firstMicros + (spacing * index).wholeMicroseconds
                for target in BurstTarget.all {
                    group.addTask { await self.send(to: target, key: key, scheduledMicros: scheduled) }
                }
            }
            var answers: [BurstAnswer] = []
            for await answer in group { answers.append(answer) }
            return answers
        }
        var targets: [String: TargetRoundResult] = [:]
        for target in BurstTarget.all {
            targets[target.name] = TargetRoundResult(
                answers: answers.filter { $0.target == target.name }, edgeMicros: edge, limits: limits,
                peakWindowMicros: plan.peakWindow.wholeMicroseconds, queues: target.name == RateLimitAlgorithm.leakyBucket.rawValue)
        }
        let result = BurstRoundResult(round: round, edgeMicros: edge, targets: targets)
        let all = state.withLock { state in
            state.results.append(result)
            return state.results
        }
        metrics.record(result, allRounds: all, limits: limits)
        logger.info("\(result.summary(limit: limits.limit))")
    }

    private func send(to target: BurstTarget, key: String, scheduledMicros: Int) async -> BurstAnswer {
        let sent = ContinuousClock.now
        do {
            let reply = try await limiter.post(
                target.path(key), route: target.name == "api" ? "/orders/{client}" : "/limit/{algorithm}/{key}")
            let seconds = (ContinuousClock.now - sent).inSeconds
            let body = reply.json
            guard reply.status == 200 || reply.status == 429, let decided = body["decided_at_us"]?.intValue else {
                return BurstAnswer(
                    target: target.name, admitted: nil, decidedAtMicros: nil, seconds: seconds, scheduledMicros: scheduledMicros)
            }
            return BurstAnswer(
                target: target.name, admitted: reply.status == 200, decidedAtMicros: decided, seconds: seconds,
                scheduledMicros: scheduledMicros)
        } catch {
            return BurstAnswer(
                target: target.name, admitted: nil, decidedAtMicros: nil, seconds: (ContinuousClock.now - sent).inSeconds,
                scheduledMicros: scheduledMicros)
        }
    }
}

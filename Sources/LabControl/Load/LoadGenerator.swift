// The load generator engine: plays a `LoadPlan` against an HTTP target and reports what happened.
//
// Open loop: one pacing loop walks the arrival schedule. It sleeps until the next request is due,
// then fires every request whose time has come (a late wake-up catches up, but nothing is ever
// sent before its time). Each request runs in its own child task, so a slow server never holds
// the schedule back, and its latency is measured from the *scheduled* time — a server stall shows
// in the percentiles instead of being hidden by a generator that waited (coordinated omission).
// Closed loop: N virtual users, each sending, waiting and thinking in turn.

import CoreMetrics
import Foundation
import LabKit
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceContextModule
import Synchronization
import Tracing

public final class LoadGenerator: Sendable {
    public let plan: LoadPlan
    private let target: String
    private let metricsFactory: any MetricsFactory
    private let tracer: any Tracer
    private let inFlight = Atomic<Int>(0)
    private let recorder = Mutex<LoadRecorder?>(nil)

    /// Each run sends with its own `LoadHTTPClient`: HTTP/1.1 keep-alive, a pool of
    /// `min(maxConnections, maxInFlight)` connections, no redirects followed, connection failures
    /// reported at once (never retried), shut down after the run.
    ///
    /// - Parameters:
    ///   - metricsFactory: where `loadgen_*` metrics go; default `MetricsSystem.factory`.
    ///   - tracer: makes the client spans and injects `traceparent`; default
    ///     `InstrumentationSystem.tracer` (the bootstrapped instrument).
    /// - Throws: `LoadPlanError` naming the first invalid field.
    public init(
        plan: LoadPlan,
        metricsFactory: (any MetricsFactory)? = nil,
        tracer: (any Tracer)? = nil
    ) throws {
        try plan.validate()
        self.plan = plan
        target = plan.target.hasSuffix("/") ? String(plan.target.dropLast()) : plan.target
        self.metricsFactory = metricsFactory ?? MetricsSystem.factory
        self.tracer = tracer ?? InstrumentationSystem.tracer
    }

    /// The live view of the current (or last) run; `nil` before the first run starts.
    public func snapshot() -> LoadSnapshot? {
        guard let recorder = recorder.withLock({ $0 }) else { return nil }
        return recorder.snapshot(now: .now, inFlight: inFlight.load(ordering: .relaxed))
    }

    /// Runs the whole plan: every phase in turn, then waits for the requests still in flight.
    /// Cancelling the calling task stops the run and throws `CancellationError`.
    public func run() async throws -> LoadReport {
        let client = try LoadHTTPClient(target: target, maxConnections: min(plan.maxConnections, plan.maxInFlight))
        let report: LoadReport
        do {
            report = try await play(client: client)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        return report
    }

    /// Runs the plan and calls `onProgress` with a snapshot every `interval` while it runs
    /// (for a live line: `ProgressLine.format(snapshot)`).
    public func run(
        progressEvery interval: Duration, onProgress: @escaping @Sendable (LoadSnapshot) -> Void
    ) async throws -> LoadReport {
        try await withThrowingTaskGroup(of: LoadReport?.self) { group in
            group.addTask { try await self.run() }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if let snapshot = self.snapshot() { onProgress(snapshot) }
                }
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let report = result { return report }
            }
            throw CancellationError()
        }
    }

    private func play(client: LoadHTTPClient) async throws -> LoadReport {
        let seed = plan.seed ?? UInt64.random(in: .min ... .max)
        let phases = prepare()
        let start = ContinuousClock.now
        let recorder = LoadRecorder(plan: plan, start: start)
        self.recorder.withLock { $0 = recorder }
        // Request tasks run on the event loops, spread round-robin (see LoadEventLoopExecutor).
        let executors = MultiThreadedEventLoopGroup.singleton.makeIterator().map { LoadEventLoopExecutor($0) }
        let run = RunContext(client: client, recorder: recorder, executors: executors)

        await withDiscardingTaskGroup { group in
            var phaseStart = start
            for (index, phase) in phases.enumerated() {
                var rng = SeededRandomNumberGenerator(seed: seed &+ UInt64(index) &* 0x9E37_79B9)
                switch phase.arrivals {
                case .openLoop(let profile):
                    let completed = await playOpenLoop(
                        phase, index: index, profile: profile, start: phaseStart, rng: &rng, run: run, group: &group)
                    if !completed { return }
                case .closedLoop(let users, let thinkTime):
                    startUsers(users, thinkTime: thinkTime, phase, index: index, start: phaseStart, rng: &rng, run: run, group: &group)
                }
                phaseStart += phase.duration
                // The next phase starts on the timeline, not when this one's requests are done.
                if phaseStart > .now {
                    do { try await Task.sleep(until: phaseStart, clock: .continuous) } catch { return }
                }
            }
            // Leaving the group waits for the requests still in flight.
        }
        try Task.checkCancellation()
        return recorder.finish(at: .now)
    }

    /// What every request of a run needs.
    fileprivate struct RunContext: Sendable {
        let client: LoadHTTPClient
        let recorder: LoadRecorder
        let executors: [LoadEventLoopExecutor]

        func executor(_ index: Int) -> LoadEventLoopExecutor { executors[index % executors.count] }
    }

    /// The pacing loop: sleeps until the next request is due, then starts every due request in its
    /// own task. Returns `false` if the run was cancelled.
    private func playOpenLoop(
        _ phase: PreparedPhase, index: Int, profile: RateProfile, start: ContinuousClock.Instant,
        rng: inout SeededRandomNumberGenerator, run: RunContext, group: inout DiscardingTaskGroup
    ) async -> Bool {
        var schedule = ArrivalSchedule(profile: profile, duration: phase.duration)
        var sent = 0
        while let offset = schedule.next() {
            let due = start + offset
            if due > .now {
                do { try await Task.sleep(until: due, clock: .continuous) } catch { return false }
            }
            let kind = phase.kinds[phase.picker.pick(using: &rng)]
            let request = kind.render(using: &rng)
            // The cap is checked when the request is due: over it, the request is dropped and
            // counted, never queued (queueing would hide the overload).
            guard inFlight.add(1, ordering: .relaxed).newValue <= plan.maxInFlight else {
                inFlight.subtract(1, ordering: .relaxed)
                run.recorder.finished(phase: index, kind: kind.index, outcome: .dropped, latency: nil, at: due)
                kind.metrics.record(.dropped, latency: nil)
                continue
            }
            let executor = run.executor(sent)
            sent += 1
            group.addTask(executorPreference: executor) {
                await self.send(request, kind: kind, phase: index, scheduled: due, measureLag: true, run: run, on: executor)
            }
        }
        return true
    }

    /// Closed loop: each virtual user sends, waits for the response, thinks, and repeats until the
    /// phase ends. The users run as tasks of the group while the timeline moves on.
    private func startUsers(
        _ users: Int, thinkTime: Duration, _ phase: PreparedPhase, index: Int, start: ContinuousClock.Instant,
        rng: inout SeededRandomNumberGenerator, run: RunContext, group: inout DiscardingTaskGroup
    ) {
        let end = start + phase.duration
        for user in 0..<users {
            let userSeed = rng.next() &+ UInt64(user)
            let executor = run.executor(user)
            group.addTask(executorPreference: executor) {
                var rng = SeededRandomNumberGenerator(seed: userSeed)
                while ContinuousClock.now < end, !Task.isCancelled {
                    let kind = phase.kinds[phase.picker.pick(using: &rng)]
                    let request = kind.render(using: &rng)
                    self.inFlight.add(1, ordering: .relaxed)
                    await self.send(request, kind: kind, phase: index, scheduled: .now, measureLag: false, run: run, on: executor)
                    if thinkTime > .zero {
                        try? await Task.sleep(for: thinkTime)
                    }
                }
            }
        }
    }

    /// A phase made ready to run: kinds prepared, metric handles made once per kind name.
    struct PreparedPhase: Sendable {
        let duration: Duration
        let arrivals: ArrivalModel
        let kinds: [PreparedKind]
        let picker: KindPicker
    }

    private func prepare() -> [PreparedPhase] {
        var metricsByName: [String: KindMetrics] = [:]
        return plan.phases.map { phase in
            let kinds = phase.requests.enumerated().map { index, kind in
                let metrics = metricsByName[kind.name] ?? KindMetrics(kind: kind.name, factory: metricsFactory)
                metricsByName[kind.name] = metrics
                return PreparedKind(kind, index: index, defaultTimeout: plan.defaultTimeout, metrics: metrics)
            }
            return PreparedPhase(
                duration: phase.duration, arrivals: phase.arrivals, kinds: kinds,
                picker: KindPicker(weights: phase.requests.map(\.weight)))
        }
    }
}

extension LoadGenerator {
    /// Sends one request and records how it ended: in the report, in metrics, in a client span.
    /// The caller has already counted it in `inFlight`; this releases it.
    fileprivate func send(
        _ rendered: RenderedRequest, kind: PreparedKind, phase: Int, scheduled: ContinuousClock.Instant,
        measureLag: Bool, run: RunContext, on executor: LoadEventLoopExecutor
    ) async {
        let recorder = run.recorder
        defer { inFlight.subtract(1, ordering: .relaxed) }
        let sentAt = ContinuousClock.now
        recorder.sent(phase: phase, lag: measureLag ? sentAt - scheduled : nil, at: sentAt)

        var headers = HTTPHeaders()
        for (name, value) in rendered.headers { headers.add(name: name, value: value) }

        // Every request is the root of its own trace (not a child of whatever the caller runs in).
        let span = tracer.startSpan(kind.spanName, context: .topLevel, ofKind: .client)
        span.updateAttributes { attributes in
            attributes["http.request.method"] = kind.method
            attributes["url.full"] = self.target + rendered.path
            attributes["url.template"] = kind.pathTemplate
            attributes["loadgen.kind"] = kind.name
        }
        tracer.inject(span.context, into: &headers, using: HTTPHeadersInjector())

        let outcome: RequestOutcome
        do {
            let status = try await run.client.execute(
                method: HTTPMethod(rawValue: kind.method), path: rendered.path, headers: headers, body: rendered.body,
                timeout: .nanoseconds(kind.timeout.microseconds * 1_000), on: executor.loop)
            outcome = RequestOutcome(status: status)
            span.attributes["http.response.status_code"] = status
            if status >= 500 { span.setStatus(SpanStatus(code: .error)) }
        } catch {
            outcome = Self.classify(error)
            span.attributes["error.type"] = outcome.label
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
        }
        span.end()

        let finishedAt = ContinuousClock.now
        let latency = outcome.hasResponse ? finishedAt - scheduled : nil
        recorder.finished(phase: phase, kind: kind.index, outcome: outcome, latency: latency, at: finishedAt)
        kind.metrics.record(outcome, latency: latency)
    }

    /// Timeouts (of the whole request, connecting or waiting for a connection included) versus
    /// every other failure.
    static func classify(_ error: any Error) -> RequestOutcome {
        error as? LoadHTTPClient.Failure == .timeout ? .timeout : .connectionError
    }
}

extension RequestOutcome {
    /// Whether a response (of any status) came back.
    var hasResponse: Bool { rawValue <= RequestOutcome.status5xx.rawValue }
}

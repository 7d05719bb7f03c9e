import Foundation
import LabKit
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// KEY IDEA: a saga is a sequence of local transactions (reserve stock, capture payment, schedule
/// shipping) with a compensation for each; if a step fails, the ones before it are undone in reverse.
/// Two things break the naive version. The orchestrator's memory is the only record of where each
/// saga stands: kill it and every saga in flight is abandoned half done — stock held, money taken, no
/// order. And a step that *times out* may have succeeded: the payment committed and only its answer
/// was late, so "it failed, don't refund" keeps the money. The fix: a saga log in the database,
/// written before each step, that a recovery sweep reads after a crash; steps and compensations keyed
/// by the order, so a timed-out step can be retried and a compensation can be sent for a step whose
/// outcome is unknown (it refunds what was captured, and blocks a capture still on its way).
enum SagaMode: String, Sendable, CaseIterable {
    /// Saga state in the orchestrator's memory; a timed-out step counts as failed; no retries.
    case memory
    /// A saga log row per saga; timed-out steps retried with the same key; every step compensated
    /// when the saga gives up; a recovery sweep for sagas a dead run left behind.
    case log
}

enum SagaOrchestrator {
    static let modeKnob = Knob<SagaMode>.choice(
        "SAGA", default: .memory, "`memory` (state in the orchestrator) or `log` (saga log, keyed retries, recovery sweep)")
    static let stepTimeoutKnob = Knob.milliseconds(
        "STEP_TIMEOUT_MS", default: 500, in: 1...60_000, "how long the orchestrator waits for one step")
    static let retriesKnob = Knob.wholeNumber("RETRIES", default: 3, in: 0...20, "log: retries of a step that timed out (same key)")
    static let sweepKnob = Knob.milliseconds(
        "SWEEP_MS", default: 500, in: 50...60_000, "log: how often the recovery sweep looks for abandoned sagas")
    static let staleKnob = Knob.milliseconds(
        "STALE_MS", default: 5_000, in: 100...600_000, "log: a running saga not updated this long is abandoned")
    static let knobs: [any LabKnob] = [modeKnob, stepTimeoutKnob, retriesKnob, sweepKnob, staleKnob] + LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        guard let db = try service.postgres() else { throw LabStartupError("the orchestrator needs DATABASE_URL") }
        let steps = try ["inventory", "payment", "shipping"].map { try service.context.peer($0, timeout: .seconds(10)) }
        let mode = try service.knobs.read(modeKnob)
        let incarnation = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let runner = SagaRunner(
            mode: mode, steps: steps, db: db, stepTimeout: try service.knobs.read(stepTimeoutKnob),
            retries: try service.knobs.read(retriesKnob), incarnation: incarnation)
        let recovery =
            mode == .log
            ? SagaRecovery(
                runner: runner, interval: try service.knobs.read(sweepKnob), stale: try service.knobs.read(staleKnob),
                logger: service.context.logger)
            : nil
        if let recovery { service.addService(recovery) }
        let outcomes = { @Sendable (outcome: String) in Counter(label: "sagas_total", dimensions: [("outcome", outcome)]) }
        for outcome in ["completed", "compensated", "recovered"] { outcomes(outcome).increment(by: 0) }
        let sequence = Atomic<Int64>(Int64(Date().timeIntervalSince1970 * 1000) * 1000)

        service.router.post("/orders/:id") { _, _ -> Response in
            // A restarted orchestrator first finishes what its predecessor abandoned, then takes new orders.
            if let recovery, !recovery.hasRecovered {
                return .jsonError("recovering abandoned sagas", status: .serviceUnavailable)
            }
            let order = sequence.add(1, ordering: .relaxed).newValue
            let completed = try await runner.run(order)
            outcomes(completed ? "completed" : "compensated").increment()
            return .json(["order": .number(Double(order)), "completed": .bool(completed)], status: completed ? .created : .conflict)
        }
    }
}

struct SagaRunner: Sendable {
    let mode: SagaMode
    /// inventory, payment, shipping: each answers POST /steps/do and /steps/undo.
    let steps: [PeerClient]
    let db: LabPostgres
    let stepTimeout: Duration
    let retries: Int
    let incarnation: String

    enum StepResult { case done, refused, unknown }

    /// Runs the saga for `order`; whether it completed (false: compensated).
    func run(_ order: Int64) async throws -> Bool {
        switch mode {
        case .memory: try await inMemory(order)
        case .log: try await logged(order)
        }
    }

    // BEFORE: where the saga stands lives only here; a timeout is taken for a failure.
    private func inMemory(_ order: Int64) async throws -> Bool {
        var done: [PeerClient] = []
        for step in steps {
            guard await call(step, "/steps/do", order) == .done else {
                for previous in done.reversed() { _ = await call(previous, "/steps/undo", order) }
                try await finish(order, completed: false)
                return false
            }
            done.append(step)
        }
        try await finish(order, completed: true)
        return true
    }

    // AFTER: the log row says where the saga stands; unknown outcomes are retried with the same key;
    // giving up compensates every step (keyed, so undoing a step that never happened is harmless).
    private func logged(_ order: Int64) async throws -> Bool {
        try await db.query(
            """
            INSERT INTO sagas (order_id, state, step, incarnation) VALUES (\(order), 'running', 'start', \(incarnation))
            """)
        for (index, step) in steps.enumerated() {
            // Still ours? (The recovery sweep takes over sagas that stopped moving.)
            let ours = try await db.query(
                """
                UPDATE sagas SET step = \(step.name), updated_at = now() WHERE order_id = \(order) AND state = 'running' RETURNING order_id
                """)
            guard !ours.isEmpty else { return false }
            var result = await call(step, "/steps/do", order)
            var attempt = 0
            while result == .unknown && attempt < retries {
                attempt += 1
                result = await call(step, "/steps/do", order)
            }
            if result != .done {
                try await compensate(order, through: index)
                return false
            }
        }
        return try await finish(order, completed: true, logState: "completed")
    }

    /// Undoes steps 0…`through` (each retried until it answers), then records the saga as compensated.
    /// A compensation must happen: it gets a longer timeout than a step, and a pause between tries.
    /// The compensations are independent of each other (each is keyed), so they run at once.
    func compensate(_ order: Int64, through last: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for step in steps[0...last] {
                group.addTask {
                    var attempt = 0
                    while await call(step, "/steps/undo", order, timeout: stepTimeout * 4) != .done {
                        attempt += 1
                        guard attempt < 10 else { throw SagaStuck(order: order, step: step.name) }
                        try await Task.sleep(for: .milliseconds(200))
                    }
                }
            }
            try await group.waitForAll()
        }
        try await finish(order, completed: false, logState: "compensated")
    }

    /// The order's outcome — and, with a saga log, the saga's final state in the same transaction, so
    /// that a saga is unfinished in the log exactly as long as it has no outcome. With a log, only the
    /// saga's current owner may finish it (`running`, or `compensating` for the sweep); false if
    /// someone else has taken it over.
    @discardableResult
    private func finish(_ order: Int64, completed: Bool, logState: String? = nil) async throws -> Bool {
        try await db.transaction { tx -> Bool in
            if let logState {
                let owned = try await tx.query(
                    """
                    UPDATE sagas SET state = \(logState), updated_at = now()
                    WHERE order_id = \(order) AND state IN ('running', 'compensating') RETURNING order_id
                    """)
                guard !owned.isEmpty else { return false }
            }
            try await tx.query(
                """
                INSERT INTO orders (order_id, status) VALUES (\(order), \(completed ? "completed" : "cancelled")) ON CONFLICT (order_id) DO NOTHING
                """)
            return true
        }
    }

    private func call(_ step: PeerClient, _ path: String, _ order: Int64, timeout: Duration? = nil) async -> StepResult {
        do {
            let reply = try await step.post(path, route: path, json: ["order": .number(Double(order))], timeout: timeout ?? stepTimeout)
            if reply.isSuccess { return .done }
            return reply.status >= 500 ? .unknown : .refused
        } catch {
            return .unknown // a timeout: the step may well have happened
        }
    }
}

/// The recovery sweep (SAGA=log): sagas still running that a dead run of the orchestrator drove, or
/// that nobody has touched for STALE_MS, are taken over (state `compensating`) and compensated
/// (backward recovery; every step keyed).
final class SagaRecovery: Service, Sendable {
    let runner: SagaRunner
    let interval: Duration
    let stale: Duration
    let logger: Logger
    private let recovered = Mutex(false)

    init(runner: SagaRunner, interval: Duration, stale: Duration, logger: Logger) {
        self.runner = runner
        self.interval = interval
        self.stale = stale
        self.logger = logger
    }

    /// Whether the first sweep has finished (a restarted orchestrator takes new orders only then).
    var hasRecovered: Bool { recovered.withLock { $0 } }

    func run() async throws {
        let recoveredSagas = Counter(label: "sagas_total", dimensions: [("outcome", "recovered")])
        let (runner, stale, logger) = (self.runner, self.stale, self.logger)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    // Take them over in one statement: from here on, their running owner (if it is alive at
                    // all) finds them no longer running and stops.
                    let abandoned = try await runner.db.query(
                        """
                        UPDATE sagas SET state = 'compensating', incarnation = \(runner.incarnation), updated_at = now()
                        WHERE (state = 'running' AND (incarnation <> \(runner.incarnation)
                                                      OR updated_at < now() - make_interval(secs => \(stale.inSeconds))))
                           OR (state = 'compensating' AND (incarnation <> \(runner.incarnation)
                                                           OR updated_at < now() - make_interval(secs => \(stale.inSeconds))))
                        RETURNING order_id
                        """
                    ).map { try $0.decode(Int64.self) }
                    // Many sagas at a time, each on its own: one that fails is retried on the next sweep
                    // (it stays `compensating`), the others go on.
                    await withTaskGroup(of: Void.self) { group in
                        for (index, order) in abandoned.enumerated() {
                            if index >= 32 { await group.next() }
                            group.addTask {
                                do {
                                    try await runner.compensate(order, through: runner.steps.count - 1)
                                    recoveredSagas.increment()
                                } catch {
                                    logger.warning("recovery of saga \(order) failed, next sweep retries: \(error)")
                                }
                            }
                        }
                    }
                    if !abandoned.isEmpty { logger.info("recovery: compensated \(abandoned.count) abandoned saga(s)") }
                    self.recovered.withLock { $0 = true }
                } catch {
                    logger.warning("recovery sweep failed: \(error)")
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }
}

/// A compensation that did not get through after its retries: the saga stays unfinished in the log
/// (`compensating`), and the next sweep tries again.
struct SagaStuck: Error, CustomStringConvertible {
    let order: Int64
    let step: String
    var description: String { "saga \(order): \(step) did not confirm its compensation" }
}

import Foundation
import LabKit
import ServiceLifecycle
import Synchronization

extension DeadLetterQueuesLab {
    /// KEY IDEA: a consumer cannot tell a poison message from a transient failure, so it nacks with
    /// requeue — and a message that fails every time comes back every time. On a classic queue it
    /// goes back to the head: with prefetch 1 the worker does nothing but fail the same message,
    /// thousands of times a minute, while every good task waits behind it. The fix is a limit the
    /// *broker* enforces, whatever the consumer's code does: a quorum queue counts deliveries
    /// (`x-delivery-limit`) and, past the limit, dead-letters the message to a queue of its own,
    /// where it waits for a human (and the replay tool) instead of blocking everyone else.
    enum TaskWorker {
        static let workKnob = Knob.milliseconds(
            "WORK_MS", default: 5, in: 0...60_000, "how long the worker works on one task, whether it succeeds or fails")
        static let prefetchKnob = Knob.wholeNumber(
            "PREFETCH", default: 1, in: 1...10_000, "unacknowledged tasks the broker hands the worker at a time (basic.qos)")
        static let knobs: [any LabKnob] = [workKnob, prefetchKnob]

        static func build(_ service: LabService) async throws {
            guard let rabbit = try service.rabbitmq() else {
                throw LabStartupError("worker needs RABBITMQ_URL (a rabbitmq infrastructure entry)")
            }
            guard let redis = try service.redis() else { throw LabStartupError("worker needs REDIS_URL (the ledger)") }
            let dlq = try service.knobs.read(TaskQueues.dlqKnob)
            try await rabbit.declare(try TaskQueues.topology(service.knobs))
            let handler = TaskHandler(
                redis: redis, work: try service.knobs.read(workKnob), config: service.context.config)
            let logger = service.context.logger
            service.addService(
                RabbitMQConsumingService(
                    client: rabbit, queue: TaskQueues.tasks, prefetch: try service.knobs.read(prefetchKnob), logger: logger
                ) { try await handler.handle($0) })
            service.addService(LedgerScanner(redis: redis, logger: logger))
            service.addService(
                RabbitMQQueueDepthMonitor(
                    client: rabbit, queues: [TaskQueues.tasks] + (dlq ? [TaskQueues.deadLetters] : []), logger: logger))
            let replayed = Counter(label: "dlq_replayed_total")
            replayed.increment(by: 0)

            service.router.get("/dlq") { _, _ -> JSONValue in
                guard dlq else { return ["dead_letters": .number(0), "note": "DLQ=off: there is no dead-letter queue"] }
                return ["dead_letters": .number(Double(try await rabbit.queueDepth(TaskQueues.deadLetters).messages))]
            }
            service.router.post("/dlq/replay") { _, _ -> JSONValue in
                guard dlq else { return ["replayed": .number(0), "note": "DLQ=off: there is no dead-letter queue"] }
                let moved = try await DeadLetterReplay(rabbit: rabbit).moveAll(from: TaskQueues.deadLetters, to: TaskQueues.tasks)
                replayed.increment(by: moved)
                return ["replayed": .number(Double(moved))]
            }
        }
    }

    /// What the worker does with one delivery.
    final class TaskHandler: Sendable {
        let redis: RedisClient
        let work: Duration
        let config: LabConfig
        /// Attempts per poison task id: how often the broker handed each one back.
        private let poisonAttempts = Mutex<[Int: Int]>([:])
        private let poisonSeenGauge = Gauge(label: "poison_tasks_seen")
        private let poisonAttemptsMax = Gauge(label: "poison_task_attempts_max")
        private let attempts = ["ok", "poison"].reduce(into: [String: Counter]()) {
            $0[$1] = Counter(label: "task_attempts_total", dimensions: [("kind", $1)])
            $0[$1]?.increment(by: 0)
        }
        private let processed = ["ok", "poison"].reduce(into: [String: Counter]()) {
            $0[$1] = Counter(label: "tasks_processed_total", dimensions: [("kind", $1)])
            $0[$1]?.increment(by: 0)
        }

        init(redis: RedisClient, work: Duration, config: LabConfig) {
            self.redis = redis
            self.work = work
            self.config = config
            poisonSeenGauge.record(0)
            poisonAttemptsMax.record(0)
        }

        func handle(_ delivery: RabbitMQDelivery) async throws {
            let task = try JSONDecoder().decode(TaskMessage.self, from: Data(delivery.body))
            let kind = task.poison ? "poison" : "ok"
            attempts[kind]?.increment()
            try await Task.sleep(for: work) // the work, which a poison task fails at the end of
            if task.poison && !(config.bool("poison_fixed", default: false) ?? false) {
                let (seen, most) = poisonAttempts.withLock { attempts in
                    attempts[task.id, default: 0] += 1
                    return (attempts.count, attempts.values.max() ?? 0)
                }
                poisonSeenGauge.record(seen)
                poisonAttemptsMax.record(most)
                delivery.processingSpan?.setStatus(SpanStatus(code: .error, message: "task \(task.id) cannot be processed (poison)"))
                // Maybe the next attempt works: requeue. The broker decides how often that may happen.
                try await delivery.nack(requeue: true)
                return
            }
            try await redis.send("SADD", RedisArgument(TaskLedger.processed), RedisArgument(task.id))
            try await delivery.ack()
            processed[kind]?.increment()
        }
    }

    /// Recomputes the ledger's gauges from Redis twice a second: `tasks_in_ledger{state="published|processed|unprocessed"}`
    /// (unprocessed = published ids that were never processed: still queued, dead-lettered — or lost).
    struct LedgerScanner: Service {
        let redis: RedisClient
        let logger: Logger

        func run() async throws {
            let gauges = ["published", "processed", "unprocessed"].reduce(into: [String: Gauge]()) {
                $0[$1] = Gauge(label: "tasks_in_ledger", dimensions: [("state", $1)])
            }
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    do {
                        let replies = try await redis.pipeline([
                            ["SCARD", RedisArgument(TaskLedger.published)],
                            ["SCARD", RedisArgument(TaskLedger.processed)],
                            ["SDIFFSTORE", "ledger:unprocessed", RedisArgument(TaskLedger.published), RedisArgument(TaskLedger.processed)],
                        ])
                        for (state, reply) in zip(["published", "processed", "unprocessed"], replies) {
                            if let count = reply.int { gauges[state]?.record(count) }
                        }
                    } catch {
                        logger.debug("ledger scan failed (retrying): \(error)")
                    }
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
        }
    }
}

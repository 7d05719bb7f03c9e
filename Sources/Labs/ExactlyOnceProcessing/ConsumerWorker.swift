import Foundation
import LabKit
import ServiceLifecycle

extension ExactlyOnceProcessingLab {
    /// One consumer process: consumes `payments` with manual acks and applies each payment
    /// (`CreditConsumer`). `WorkerSupervisor` (the `consumer` service) starts WORKERS of these as
    /// child processes (`labsvc week38 consumer-worker`) and starts a new one whenever one dies,
    /// which is what the injected crashes make them do.
    enum ConsumerWorker {
        static let processingKnob = Knob<Processing>.choice(
            "PROCESSING", default: .effectThenAck,
            "the consumer's order: effect-then-ack, ack-then-effect, or inbox (inbox row + effect in one transaction, then ack)")
        static let crashPercentKnob = Knob.number(
            "CRASH_PERCENT", default: 2, in: 0...50,
            "share of payments (%) on whose first delivery the worker SIGKILLs itself between the effect and the ack")
        static let prefetchKnob = Knob.wholeNumber(
            "PREFETCH", default: 20, in: 1...1_000, "unacknowledged deliveries the broker hands each worker at a time (basic.qos)")
        static let knobs: [any LabKnob] = [processingKnob, crashPercentKnob, prefetchKnob] + LabPostgres.knobs + LabService.rabbitMQKnobs

        static func build(_ service: LabService) async throws {
            guard let db = try service.postgres() else { throw LabStartupError("consumer-worker needs DATABASE_URL") }
            guard let rabbit = try service.rabbitmq() else { throw LabStartupError("consumer-worker needs RABBITMQ_URL") }
            try await rabbit.declare(PaymentQueue.topology)
            let logger = service.context.logger
            let consumer = CreditConsumer(
                db: db, processing: try service.knobs.read(processingKnob),
                crashes: CrashInjector(percent: try service.knobs.read(crashPercentKnob), db: db, logger: logger))
            service.addService(OrphanWatch(parent: getppid(), logger: logger))
            service.addService(
                RabbitMQConsumingService(
                    client: rabbit, queue: PaymentQueue.name, prefetch: try service.knobs.read(prefetchKnob), logger: logger
                ) { try await consumer.handle($0) })
            service.onRunning { _ in
                // The supervisor's readiness check waits for this row.
                let pid = Int(getpid())
                do {
                    try await db.query("INSERT INTO worker_starts (worker_pid) VALUES (\(pid))")
                } catch {
                    logger.warning("could not record this worker's start: \(error)")
                }
            }
        }
    }

    /// A worker whose supervisor is gone (killed, crashed) stops too: no orphan keeps consuming.
    struct OrphanWatch: Service {
        let parent: pid_t
        let logger: Logger

        func run() async throws {
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    if getppid() != parent {
                        logger.notice("the supervisor (pid \(parent)) is gone: stopping")
                        kill(getpid(), SIGTERM)
                        return
                    }
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
        }
    }
}

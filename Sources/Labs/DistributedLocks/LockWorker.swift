import LabKit
import Logging
import ServiceLifecycle

/// A worker process: updates the shared resource in a loop, one critical section after another
/// (`ResourceUpdates`), with THINK_MS between two. `POST /tasks/long` runs one long update of
/// LONG_TASK_MS — within the TTL, so on its own it is safe — and answers 202 as soon as the lock is
/// granted and the resource read: the scenario pauses (SIGSTOP) the worker at that moment, for
/// several TTLs, and continues it (SIGCONT) later; the long update then finishes and writes.
enum LockWorker {
    static func build(_ service: LabService) async throws {
        let settings = try LockWorkerSettings(service.knobs)
        guard let redis = try service.redis() else { throw LabStartupError("the worker needs REDIS_URL: the lock lives in Redis") }
        guard let db = try service.postgres() else {
            throw LabStartupError("the worker needs DATABASE_URL: the resource lives in PostgreSQL")
        }
        let name = service.context.environment["LAB_INSTANCE"] ?? service.context.serviceName
        let updates = ResourceUpdates(
            lock: FencedLock(redis: redis, key: "lock:resource", ttl: settings.ttl),
            resource: SharedResource(db: db, fencing: settings.fencing),
            worker: name, retry: settings.retry, metrics: LockWorkerMetrics(ttl: settings.ttl))
        let logger = service.context.logger
        service.addService(UpdateLoop(updates: updates, work: settings.work, think: settings.think, logger: logger))

        service.router.post("/tasks/long") { _, _ -> Response in
            guard let section = try await updates.begin(timeout: .seconds(5)) else {
                return .jsonError("the lock was not granted within 5 s", status: .serviceUnavailable)
            }
            Task {
                do {
                    let applied = try await updates.finish(section, after: settings.longTask)
                    logger.info("long task (token \(section.grant.token)): write \(applied ? "applied" : "rejected by fencing")")
                } catch {
                    logger.warning("long task (token \(section.grant.token)): \(error)")
                }
            }
            return .json(
                ["worker": .string(name), "token": .number(Double(section.grant.token)), "read": .number(Double(section.read.value))],
                status: .accepted)
        }
    }
}

/// The worker's own updates, back to back: begin (lock, read), work WORK_MS, write, release, think.
struct UpdateLoop: Service {
    let updates: ResourceUpdates
    let work: Duration
    let think: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    if let section = try await updates.begin(timeout: .seconds(5)) {
                        try await updates.finish(section, after: work)
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("update: \(error)")
                }
                try? await Task.sleep(for: think)
            }
        }
    }
}

import LabKit

/// KEY IDEA: a distributed system is processes that fail independently. The api depends on two other
/// processes (PostgreSQL and the worker); when one of them hangs or dies, the api must stay alive,
/// answer every request within a bound with an error that says WHAT failed (a partial failure), and
/// start working again by itself when the dependency is back.
///
/// naive:     one DB connection for life, no timeout on the worker call, errors escape as bare 500s.
///            A hung worker hangs every request; a database restart breaks the api until it is restarted.
/// resilient: a DB pool that reconnects (acquire timeout DB_ACQUIRE_TIMEOUT_MS), a worker timeout
///            (WORKER_TIMEOUT_MS), and a JSON 503 {"failed_dependency": "worker"|"database", …}.
extension BasicsLab {
    enum ProcessApi {
        enum Strategy: String, CaseIterable, Sendable { case naive, resilient }

        static let strategyKnob = Knob<Strategy>.choice(
            "STRATEGY", default: .resilient,
            "`naive`: one database connection, no timeouts, bare 500s; `resilient`: a pool, timeouts and a 503 naming what failed")
        static let workerTimeoutKnob = Knob.milliseconds(
            "WORKER_TIMEOUT_MS", default: 3_000, in: 1...3_600_000, "`resilient`: how long the api waits for the worker")
        static let knobs: [any LabKnob] = [strategyKnob, workerTimeoutKnob] + LabPostgres.knobs

        static func build(_ service: LabService) async throws {
            let context = service.context
            let strategy = try service.knobs.read(strategyKnob)
            guard let databaseURL = context.environment["DATABASE_URL"] else {
                throw LabStartupError("DATABASE_URL is not set (the api stores every request)")
            }

            switch strategy {
            case .naive:
                let log = try await SingleConnectionLog.connect(
                    try DatabaseURL(databaseURL), logger: context.logger)
                // "No timeout": an hour is forever for a request.
                let worker = try context.peer("worker", timeout: .seconds(3600))
                service.router.get("/process") { _, _ -> Response in
                    let start = ContinuousClock.now
                    let id = try await log.record(path: "/process") // throws → a bare 500
                    let reply = try await worker.get("/work", route: "/work") // waits as long as the worker does
                    return .json([
                        "request_id": .number(Double(id)), "worker_response": reply.json,
                        "latency_seconds": seconds(since: start),
                    ])
                }

            case .resilient:
                guard let db = try service.postgres() else {
                    throw LabStartupError("DATABASE_URL is not set")
                }
                let log = PooledLog(db: db)
                let worker = try context.peer(
                    "worker", timeout: try service.knobs.read(workerTimeoutKnob))
                service.router.get("/process") { _, _ -> Response in
                    let start = ContinuousClock.now
                    let id: Int
                    do {
                        id = try await log.record(path: "/process")
                    } catch {
                        return partialFailure("database", error, start: start, stored: false)
                    }
                    do {
                        let reply = try await worker.get("/work", route: "/work")
                        guard reply.isSuccess else {
                            throw PeerError.unavailable(peer: "worker", reason: "answered \(reply.status)")
                        }
                        return .json([
                            "request_id": .number(Double(id)), "worker_response": reply.json,
                            "latency_seconds": seconds(since: start),
                        ])
                    } catch {
                        return partialFailure("worker", error, start: start, stored: true)
                    }
                }
            }
        }

        /// 503: the api is fine, one dependency is not. `stored` says how far the request got.
        static func partialFailure(
            _ dependency: String, _ error: any Error, start: ContinuousClock.Instant, stored: Bool
        ) -> Response {
            .json(
                [
                    "error": .string("\(dependency) unavailable: \(error)"),
                    "failed_dependency": .string(dependency),
                    "request_stored": .bool(stored),
                    "latency_seconds": seconds(since: start),
                ], status: .serviceUnavailable)
        }

        static func seconds(since start: ContinuousClock.Instant) -> JSONValue {
            let elapsed = ContinuousClock.now - start
            let seconds =
                Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return .number((seconds * 100).rounded() / 100)
        }
    }
}

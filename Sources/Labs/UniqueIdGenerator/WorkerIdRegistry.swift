import LabKit
import Metrics
import Synchronization

/// The registry (BEFORE's source of worker ids): a counter in this process's memory.
///
///     POST /workers {"instance": "generator-3"} → {"worker_id": n}, n = 0, 1, 2, … in order of asking
///     GET  /workers                              → what it handed out since it started
///
/// It remembers nothing across a restart: it counts from 0 again and hands out ids that running
/// generators still use. No generator is told, and none asks again.
enum WorkerIdRegistry {
    static func build(_ service: LabService) async throws {
        struct Issued {
            var next = 0
            var log: [JSONValue] = []
        }
        let issued = Mutex(Issued())
        let counter = Counter(label: "registry_worker_ids_issued_total")
        counter.increment(by: 0)
        let logger = service.context.logger
        logger.info("counting worker ids from 0 (in memory)")

        service.router.post("/workers") { request, _ -> Response in
            let bytes = try? await request.body.collect(upTo: 4096)
            let body = bytes.flatMap { try? JSONValue.parse($0.readableBytesView) }
            guard let instance = body?["instance"]?.stringValue, !instance.isEmpty else {
                return .jsonError("body: expected {\"instance\": \"<the generator's name>\"}", status: .badRequest)
            }
            let id = issued.withLock { issued -> Int in
                let id = issued.next
                issued.next = (issued.next + 1) % SnowflakeId.workerIds
                issued.log.append(["instance": .string(instance), "worker_id": .number(Double(id))])
                return id
            }
            counter.increment()
            logger.info("worker id \(id) → \(instance)")
            return .json(["worker_id": .number(Double(id))])
        }

        service.router.get("/workers") { _, _ -> JSONValue in
            issued.withLock { ["next": .number(Double($0.next)), "issued": .array($0.log)] }
        }
    }
}

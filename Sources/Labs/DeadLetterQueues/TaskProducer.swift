import Foundation
import LabKit
import Synchronization

extension DeadLetterQueuesLab {
    /// Publishes tasks with publisher confirms; a confirmed task goes into the ledger
    /// (`ledger:published`) before the 202. `poison_every` (PUT /admin/config, 0: none) makes every
    /// n-th task a poison one.
    enum TaskProducer {
        static func build(_ service: LabService) async throws {
            guard let rabbit = try service.rabbitmq() else {
                throw LabStartupError("producer needs RABBITMQ_URL (a rabbitmq infrastructure entry)")
            }
            guard let redis = try service.redis() else { throw LabStartupError("producer needs REDIS_URL (the ledger)") }
            try await rabbit.declare(try TaskQueues.topology(service.knobs))
            let config = service.context.config
            let nextID = Atomic<Int>(0)
            let published = ["ok", "poison"].reduce(into: [String: Counter]()) {
                $0[$1] = Counter(label: "tasks_published_total", dimensions: [("kind", $1)])
                $0[$1]?.increment(by: 0)
            }

            service.router.post("/tasks") { _, context -> Response in
                let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
                let every = config.int("poison_every", default: 0) ?? 0
                let task = TaskMessage(id: id, poison: every > 0 && id % every == 0)
                context.span?.attributes["task.id"] = id
                context.span?.attributes["task.poison"] = task.poison
                let body = Array(try JSONEncoder().encode(task))
                let outcome = try await rabbit.publish(RabbitMQMessage(body: body, messageID: "task-\(id)"), routingKey: TaskQueues.tasks)
                guard outcome == .confirmed else {
                    return .jsonError("task \(id) not accepted by the broker: \(outcome)", status: .serviceUnavailable)
                }
                try await redis.send("SADD", RedisArgument(TaskLedger.published), RedisArgument(id))
                published[task.poison ? "poison" : "ok"]?.increment()
                return .json(["id": .number(Double(id)), "poison": .bool(task.poison)], status: .accepted)
            }
        }
    }
}

import LabKit

extension DeadLetterQueuesLab {
    /// The replay tool: moves dead letters back to the work queue once the bug is fixed. Each
    /// message is republished (with publisher confirms) and only then acked on the dead-letter
    /// queue, so a crash in between duplicates a message rather than losing it.
    struct DeadLetterReplay {
        let rabbit: RabbitMQClient

        func moveAll(from deadLetters: String, to queue: String) async throws -> Int {
            let waiting = try await rabbit.queueDepth(deadLetters).messages
            guard waiting > 0 else { return 0 }
            let consumer = try await rabbit.consume(deadLetters, prefetch: 50)
            var moved = 0
            do {
                for try await letter in consumer.deliveries {
                    var headers = letter.headers
                    // The broker's bookkeeping of the first life (x-death, x-delivery-count) stays behind.
                    headers["x-death"] = nil
                    headers["x-delivery-count"] = nil
                    headers["x-replayed-from"] = .string(deadLetters)
                    let outcome = try await rabbit.publish(
                        RabbitMQMessage(body: letter.body, headers: headers, messageID: letter.messageID), routingKey: queue)
                    guard outcome == .confirmed else {
                        try await letter.nack(requeue: true)
                        break
                    }
                    try await letter.ack()
                    moved += 1
                    if moved >= waiting { break }
                }
            } catch {
                await consumer.stop()
                throw error
            }
            await consumer.stop()
            return moved
        }
    }
}

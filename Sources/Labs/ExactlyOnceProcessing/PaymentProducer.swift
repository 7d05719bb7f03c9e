import Foundation
import LabKit
import Metrics
import ServiceLifecycle

extension ExactlyOnceProcessingLab {
    /// `POST /accounts/{account}/credits {"amount_cents": n}`: the producer records the payment in
    /// PostgreSQL and gets a message to the consumer, which credits the account.
    ///
    /// `OUTBOX=off` (a dual write): the payment is committed, then published (with a publisher
    /// confirm). A crash or a broker error between the two leaves a payment nobody will ever apply.
    /// `OUTBOX=on` (a transactional outbox): the payment and its message are committed in ONE
    /// transaction; `OutboxRelay` publishes committed messages afterwards. Nothing accepted can be
    /// left unsent — but the relay may send a message twice, so the consumer must dedupe.
    enum PaymentProducer {
        static let outboxKnob = Knob.flag(
            "OUTBOX", default: false, "the producer writes the payment and its message in one transaction (a relay publishes the message)")
        static let knobs: [any LabKnob] = [outboxKnob] + LabPostgres.knobs + LabService.rabbitMQKnobs

        static func build(_ service: LabService) async throws {
            guard let db = try service.postgres() else {
                throw LabStartupError("producer needs DATABASE_URL (a postgres infrastructure entry)")
            }
            guard let rabbit = try service.rabbitmq() else {
                throw LabStartupError("producer needs RABBITMQ_URL (a rabbitmq infrastructure entry)")
            }
            try await rabbit.declare(PaymentQueue.topology)
            let outbox = try service.knobs.read(outboxKnob)
            if outbox { service.addService(OutboxRelay(db: db, rabbit: rabbit, logger: service.context.logger)) }
            let accepted = Counter(label: "payments_accepted_total")
            accepted.increment(by: 0)
            let unsent = Counter(label: "payments_unsent_total") // before only: committed, then the publish failed
            unsent.increment(by: 0)

            service.router.post("/accounts/:account/credits") { request, context -> Response in
                var request = request
                guard let account = context.parameters.get("account", as: Int.self), ExactlyOnceProcessingLab.accounts.contains(account)
                else {
                    return .jsonError(
                        "account: expected a whole number in \(ExactlyOnceProcessingLab.accounts.lowerBound)...\(ExactlyOnceProcessingLab.accounts.upperBound)",
                        status: .badRequest)
                }
                let body = try await request.collectBody(upTo: 16 * 1024)
                guard case .object(let fields)? = try? JSONValue.parse(body.readableBytesView),
                    let amount = fields["amount_cents"]?.intValue, ExactlyOnceProcessingLab.amounts.contains(amount)
                else {
                    return .jsonError(
                        "body: expected {\"amount_cents\": a whole number in \(ExactlyOnceProcessingLab.amounts.lowerBound)...\(ExactlyOnceProcessingLab.amounts.upperBound)}",
                        status: .badRequest)
                }
                if outbox {
                    // AFTER: the payment and its message commit together, or neither does. One statement
                    // is one transaction: the same as BEGIN; INSERT INTO payments …; INSERT INTO outbox …;
                    // COMMIT, in one round trip (the message is built from the payment's new id).
                    let rows = try await db.query(
                        """
                        WITH payment AS (
                            INSERT INTO payments (account, amount_cents) VALUES (\(account), \(amount)) RETURNING id, account, amount_cents)
                        INSERT INTO outbox (payment_id, body)
                        SELECT id, json_build_object('payment_id', id, 'account', account, 'amount_cents', amount_cents)::text FROM payment
                        RETURNING payment_id
                        """)
                    guard let payment = try rows.first?.decode(Int.self) else { throw LabStartupError("INSERT … RETURNING gave no id") }
                    context.span?.attributes["payment.id"] = payment
                    accepted.increment()
                    return .json(["payment_id": .number(Double(payment)), "sent": "outbox"], status: .accepted)
                }
                // BEFORE: two writes to two systems, one after the other.
                let rows = try await db.query("INSERT INTO payments (account, amount_cents) VALUES (\(account), \(amount)) RETURNING id")
                guard let payment = try rows.first?.decode(Int.self) else { throw LabStartupError("INSERT … RETURNING gave no id") }
                context.span?.attributes["payment.id"] = payment
                let message = PaymentMessage(paymentID: payment, account: account, amountCents: amount)
                let outcome: RabbitMQPublishOutcome
                do {
                    outcome = try await rabbit.publish(
                        RabbitMQMessage(try message.encoded(), messageID: message.messageID), routingKey: PaymentQueue.name)
                } catch {
                    unsent.increment()
                    return .jsonError("payment \(payment) is recorded but its message was not sent: \(error)", status: .serviceUnavailable)
                }
                guard outcome == .confirmed else {
                    unsent.increment()
                    return .jsonError(
                        "payment \(payment) is recorded but the broker did not take its message: \(outcome)", status: .serviceUnavailable)
                }
                accepted.increment()
                return .json(["payment_id": .number(Double(payment)), "sent": "published"], status: .accepted)
            }
        }
    }

    /// The outbox's relay: publishes committed, unpublished outbox rows in order, in batches (one
    /// confirm round trip per batch), then marks the confirmed ones published. A crash between the
    /// confirm and the UPDATE publishes those messages again after the restart: the outbox is
    /// at-least-once, and the consumer's inbox turns that into one effect.
    struct OutboxRelay: Service {
        let db: LabPostgres
        let rabbit: RabbitMQClient
        let logger: Logger
        static let batch = 200

        func run() async throws {
            let published = Counter(label: "outbox_published_total")
            published.increment(by: 0)
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    do {
                        let sent = try await relayOnce()
                        published.increment(by: sent)
                        if sent < Self.batch { try? await Task.sleep(for: .milliseconds(20)) }
                    } catch {
                        logger.warning("outbox relay: \(error) (trying again)")
                        try? await Task.sleep(for: .milliseconds(200))
                    }
                }
            }
        }

        /// One batch; returns how many messages the broker confirmed.
        func relayOnce() async throws -> Int {
            let rows = try await db.query(
                "SELECT payment_id, body FROM outbox WHERE published_at IS NULL ORDER BY payment_id LIMIT \(Self.batch)")
            let pending = try rows.map { try $0.decode((Int, String).self) }
            guard !pending.isEmpty else { return 0 }
            let messages = pending.map { RabbitMQMessage($0.1, messageID: PaymentQueue.messageID(payment: $0.0)) }
            let outcomes = try await rabbit.publish(messages, routingKey: PaymentQueue.name)
            let confirmed = zip(pending, outcomes).filter { $0.1 == .confirmed }.map(\.0.0)
            if !confirmed.isEmpty {
                try await db.query("UPDATE outbox SET published_at = clock_timestamp() WHERE payment_id = ANY(\(confirmed))")
            }
            return confirmed.count
        }
    }
}

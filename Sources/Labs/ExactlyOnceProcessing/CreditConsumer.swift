import Foundation
import LabKit

extension ExactlyOnceProcessingLab {
    /// KEY IDEA: a broker can only promise at-least-once or at-most-once delivery, because the
    /// consumer's effect (a row in PostgreSQL) and its acknowledgement (a frame to RabbitMQ) are two
    /// writes to two systems, and a process can die between them. Effect, then ack: a crash in
    /// between leaves the effect done and the message unacknowledged; the broker redelivers it and
    /// the effect happens again (a duplicate). Ack, then effect: a crash in between leaves the
    /// message acknowledged and the effect never done (a loss). No ordering of the two fixes it.
    ///
    /// What does: make the effect remember the message. The id of every message whose effect is
    /// committed goes into an inbox table IN THE SAME TRANSACTION as the effect; the ack comes after
    /// the commit. A crash before the commit rolls back both (the redelivery does the work); a crash
    /// after it leaves both (the redelivery finds the id in the inbox, skips the effect and acks).
    /// Delivery stays at-least-once; the effect happens once: "effectively once".
    enum Processing: String, CaseIterable, Sendable {
        /// Before: commit the effect, then ack. A crash in between: a duplicate effect.
        case effectThenAck = "effect-then-ack"
        /// The other naive order: ack, then commit the effect. A crash in between: a lost effect.
        case ackThenEffect = "ack-then-effect"
        /// After: inbox row + effect in one transaction, then ack.
        case inbox

        /// Where this order puts the injected crash: between the effect and the ack.
        var crashPoint: String {
            switch self {
            case .effectThenAck: "after the effect, before the ack"
            case .ackThenEffect: "after the ack, before the effect"
            case .inbox: "after the commit (inbox row + effect), before the ack"
            }
        }
    }

    /// What a worker process does with one delivery.
    struct CreditConsumer: Sendable {
        let db: LabPostgres
        let processing: Processing
        let crashes: CrashInjector

        func handle(_ delivery: RabbitMQDelivery) async throws {
            let payment = try PaymentMessage.decode(delivery.body)
            delivery.processingSpan?.attributes["payment.id"] = payment.paymentID
            let crash = crashes.shouldCrash(payment: payment.paymentID, redelivered: delivery.redelivered)

            switch processing {
            case .effectThenAck:
                try await credit(payment)
                if crash { await crashes.crash(payment: payment.paymentID, at: processing.crashPoint) }
                try await delivery.ack()

            case .ackThenEffect:
                try await delivery.ack()
                if crash { await crashes.crash(payment: payment.paymentID, at: processing.crashPoint) }
                try await credit(payment)

            case .inbox:
                let messageID = delivery.messageID ?? payment.messageID
                // The inbox row and the effect in ONE transaction: here one statement (a statement is a
                // transaction of its own), the same as BEGIN; INSERT INTO inbox …; <the effect, only if
                // the row was new>; COMMIT — which is what an effect of several statements would need.
                // A message already in the inbox was applied by an earlier delivery: nothing is
                // credited, and the ack below tells the broker to forget it at last.
                let applied = try await db.query(Self.inboxAndCreditStatement(payment, messageID: messageID))
                delivery.processingSpan?.attributes["inbox.duplicate_skipped"] = applied.isEmpty
                if crash { await crashes.crash(payment: payment.paymentID, at: processing.crashPoint) }
                try await delivery.ack()
            }
        }

        /// The effect: credit the account and write a ledger row naming the payment, in one statement
        /// (the two cannot be torn apart). Not idempotent: applied twice, it credits twice.
        private func credit(_ payment: PaymentMessage) async throws {
            let pid = Int(getpid())
            try await db.query(
                """
                WITH credited AS (
                    UPDATE accounts SET balance_cents = balance_cents + \(payment.amountCents) WHERE id = \(payment.account) RETURNING id)
                INSERT INTO ledger (payment_id, account, amount_cents, worker_pid)
                SELECT \(payment.paymentID), id, \(payment.amountCents), \(pid) FROM credited
                """)
        }

        /// The inbox row, then the same effect only if that row is new — all or nothing. Returns the
        /// ledger row when the effect was applied, nothing when the message was a duplicate.
        static func inboxAndCreditStatement(_ payment: PaymentMessage, messageID: String) -> PostgresQuery {
            let pid = Int(getpid())
            return """
                WITH inboxed AS (
                    INSERT INTO inbox (message_id) VALUES (\(messageID)) ON CONFLICT (message_id) DO NOTHING RETURNING message_id),
                credited AS (
                    UPDATE accounts SET balance_cents = balance_cents + \(payment.amountCents)
                    WHERE id = \(payment.account) AND EXISTS (SELECT 1 FROM inboxed) RETURNING id)
                INSERT INTO ledger (payment_id, account, amount_cents, worker_pid)
                SELECT \(payment.paymentID), id, \(payment.amountCents), \(pid) FROM credited
                RETURNING seq
                """
        }
    }

    /// The fault: on `CRASH_PERCENT` % of the payments (chosen by a hash of the payment id, so every
    /// variant crashes on the same ones), on the message's first delivery, the worker process sends
    /// itself SIGKILL at its variant's crash point. No cleanup runs: its connections drop, and the
    /// broker puts every unacknowledged delivery back in the queue (marked redelivered).
    struct CrashInjector: Sendable {
        let percent: Double
        let db: LabPostgres
        let logger: Logger

        func shouldCrash(payment: Int, redelivered: Bool) -> Bool {
            !redelivered && Self.chosen(payment: payment, percent: percent)
        }

        /// Whether the payment is one of the `percent` % that crash: a fixed hash, the same in every process.
        static func chosen(payment: Int, percent: Double) -> Bool {
            let mixed = (UInt64(truncatingIfNeeded: payment) &* 0x9E37_79B9_7F4A_7C15) >> 33
            return Double(mixed % 10_000) < percent * 100
        }

        func crash(payment: Int, at point: String) async -> Never {
            let pid = Int(getpid())
            // For the audit and for you: which payment, where. Then the real thing.
            _ = try? await db.query("INSERT INTO crashes (payment_id, point, worker_pid) VALUES (\(payment), \(point), \(pid))")
            logger.notice("injected crash at payment \(payment), \(point): SIGKILL to myself (pid \(pid))")
            kill(getpid(), SIGKILL)
            fatalError("SIGKILL did not end the process")
        }
    }
}

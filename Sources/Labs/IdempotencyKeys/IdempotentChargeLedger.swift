import LabKit

extension IdempotencyKeysLab {
    /// One charge as the client asked for it.
    struct ChargeRequest: Sendable {
        var key: String
        var intent: String
        var amountCents: Int
        /// What the key promises: the same key must always mean the same request.
        var fingerprint: String { "\(intent):\(amountCents)" }
    }

    /// The answer to a charge request, and whether it is a replay of a stored one.
    struct ChargeOutcome: Sendable {
        var status: Int
        var body: JSONValue
        var replayed: Bool
    }

    /// The same key was sent with a different request (Stripe answers 422 too).
    struct IdempotencyKeyReused: Error, CustomStringConvertible {
        let key: String
        var description: String { "Idempotency-Key \(key) was already used for a different request" }
    }

    /// The charges table, with and without idempotency keys (schema: labs/13-idempotency-keys/init.sql).
    struct ChargeLedger: Sendable {
        let db: LabPostgres
        let cardNetwork: ClosedRange<Int>
        let logger: Logger

        // Created with the ledger, so every series exists (at 0) from the start in both variants.
        private let requests = ["new", "replayed", "mismatch"].reduce(into: [String: Counter]()) {
            $0[$1] = Counter(label: "idempotency_requests_total", dimensions: [("outcome", $1)])
        }
        private let chargesCreated = Counter(label: "charges_created_total")

        /// BEFORE: every request is a new charge. A retry of a request whose answer was lost charges again.
        func chargeNaively(_ charge: ChargeRequest) async throws -> ChargeOutcome {
            try await db.transaction { tx in try await insertCharge(charge, on: tx) }
        }

        /// AFTER: the key is claimed in the charge's own transaction.
        ///
        /// 1. `INSERT … ON CONFLICT DO NOTHING` claims the key. If another transaction holds an uncommitted
        ///    row for the same key (a concurrent duplicate), PostgreSQL makes this statement WAIT until that
        ///    transaction ends: duplicates are serialised by the unique index, not by luck.
        /// 2. `SELECT … FOR UPDATE` reads the key's row: a stored response means the charge already happened,
        ///    so it is replayed and nothing else runs. No response means this request owns the key.
        /// 3. The charge and the response are written, and COMMIT publishes both at once. If anything fails,
        ///    ROLLBACK removes the key too, so a retry charges afresh (nothing was charged).
        func chargeOnce(_ charge: ChargeRequest) async throws -> ChargeOutcome {
            try await db.transaction { tx in
                try await tx.query(
                    """
                    INSERT INTO idempotency_keys (key, fingerprint) VALUES (\(charge.key), \(charge.fingerprint))
                    ON CONFLICT (key) DO NOTHING
                    """)
                let rows = try await tx.query(
                    """
                    SELECT fingerprint, response_status, response_body FROM idempotency_keys WHERE key = \(charge.key) FOR UPDATE
                    """)
                guard let row = rows.first else { throw LedgerError("idempotency key \(charge.key) vanished") }
                let (fingerprint, storedStatus, storedBody) = try row.decode((String, Int?, String?).self)
                guard fingerprint == charge.fingerprint else {
                    requests["mismatch"]?.increment()
                    throw IdempotencyKeyReused(key: charge.key)
                }
                if let storedStatus, let storedBody {
                    requests["replayed"]?.increment()
                    let body = (try? JSONValue.parse(Array(storedBody.utf8))) ?? .null
                    return ChargeOutcome(status: storedStatus, body: body, replayed: true)
                }
                let outcome = try await insertCharge(charge, on: tx)
                try await tx.query(
                    """
                    UPDATE idempotency_keys SET response_status = \(outcome.status), response_body = \(outcome.body.encodedString())
                    WHERE key = \(charge.key)
                    """)
                requests["new"]?.increment()
                return outcome
            }
        }

        /// Calls the card network (a sleep), then records the charge.
        private func insertCharge(_ charge: ChargeRequest, on tx: LabPostgres.Transaction) async throws -> ChargeOutcome {
            try await withSpan("card network authorize", ofKind: .client) { span in
                span.attributes["peer.service"] = "card-network"
                try await Task.sleep(for: .milliseconds(Int.random(in: cardNetwork)))
            }
            let rows = try await tx.query(
                """
                INSERT INTO charges (intent_id, amount_cents) VALUES (\(charge.intent), \(charge.amountCents)) RETURNING id
                """)
            let id = try rows.first?.decode(Int64.self) ?? 0
            chargesCreated.increment()
            return ChargeOutcome(
                status: 201,
                body: [
                    "charge_id": .string("ch_\(id)"), "intent": .string(charge.intent), "amount_cents": .number(Double(charge.amountCents)),
                ],
                replayed: false)
        }
    }

    struct LedgerError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

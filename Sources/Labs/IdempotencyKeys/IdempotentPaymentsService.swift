import HTTPTypes
import LabKit

extension IdempotencyKeysLab {
    /// KEY IDEA: a retry cannot tell "the charge failed" from "the charge happened and the answer was lost",
    /// so a retried non-idempotent POST charges the card twice. The client names the operation with an
    /// `Idempotency-Key` (its payment intent id); the server stores the key in the SAME transaction as the
    /// charge, together with the response. A duplicate that arrives while the first is still running waits
    /// on the key's row lock (concurrent duplicates are serialised); one that arrives later finds the stored
    /// response and gets it back, byte for byte, without touching the card again.
    enum PaymentsService {
        static func build(_ service: LabService) async throws {
            let settings = try PaymentsSettings(service.knobs)
            guard let db = try service.postgres() else {
                throw LabStartupError("payments needs DATABASE_URL (a postgres infrastructure entry)")
            }
            let ledger = ChargeLedger(db: db, cardNetwork: settings.cardNetwork, logger: service.context.logger)
            let config = service.context.config
            let inFlight = InFlightKeys()
            let responsesLost = Counter(label: "payments_responses_lost_total")
            let logger = service.context.logger
            service.addService(DuplicateChargeScanner(db: db, interval: settings.scanInterval, logger: service.context.logger))

            service.router.post("/charges") { request, context -> Response in
                var request = request
                let body = try await request.collectBody(upTo: 64 * 1024)
                guard case .object(let fields)? = try? JSONValue.parse(body.readableBytesView),
                    let intent = fields["intent"]?.stringValue, let amount = fields["amount_cents"]?.intValue, amount > 0
                else { return .jsonError("body: expected {\"intent\": string, \"amount_cents\": positive integer}", status: .badRequest) }
                // No key, no protection (as with Stripe): the request is charged as it comes.
                let key = request.headers[HTTPField.Name("Idempotency-Key")!]
                if let key { context.span?.attributes["idempotency.key"] = key }

                let charge = ChargeRequest(key: key ?? "", intent: intent, amountCents: amount)
                let ticket = inFlight.arrive(intent)
                defer { inFlight.leave(ticket) }

                // The charge runs in its own task: a caller that hangs up must not cancel a transaction
                // half-way (a real card network call cannot be un-sent either).
                let useKey = settings.idempotency && key != nil
                let outcome: ChargeOutcome
                do {
                    outcome = try await Task { try await useKey ? ledger.chargeOnce(charge) : ledger.chargeNaively(charge) }.value
                } catch let mismatch as IdempotencyKeyReused {
                    return .jsonError("\(mismatch)", status: .init(code: 422))
                }
                context.span?.attributes["idempotency.replayed"] = outcome.replayed
                inFlight.committed(ticket)

                // The fault: the charge is committed, but the answer never reaches the client in time
                // (a dropped connection, a proxy timeout). The client can only retry.
                let loseRate = config.double("lose_response_rate", default: 0) ?? 0
                if loseRate > 0, Double.random(in: 0..<1) < loseRate {
                    responsesLost.increment()
                    context.span?.attributes["fault.response_lost"] = true
                    await withSpan("response lost (held past the client's timeout)") { _ in
                        try? await Task.sleep(for: settings.lostResponseHold)
                    }
                }
                var response = Response.json(outcome.body, status: .init(code: outcome.status))
                if outcome.replayed { response.headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
                return response
            }

            // The ledger as SQL sees it: the lesson's number, straight from the database.
            service.router.get("/stats") { _, _ -> JSONValue in
                let stats = try await LedgerStats.read(db, logger: logger)
                return [
                    "charges": .number(Double(stats.charges)), "intents_charged_more_than_once": .number(Double(stats.duplicatedIntents)),
                    "extra_charges": .number(Double(stats.extraCharges)),
                ]
            }
        }
    }
}

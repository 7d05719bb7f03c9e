import Hummingbird
import LabKit
import Metrics

/// One participant of the saga: a step and its compensation, each on the participant's own table.
/// With `IDEMPOTENT=on` both are keyed by the order: a step repeated returns what it did the first
/// time, a compensation repeated does nothing more, and a compensation that arrives *before* its step
/// (the step's request was still in flight when the saga gave up) leaves a tombstone that makes the
/// late step refuse. With `off`, a repeated step does it again and a compensation only finds what is
/// already there.
///
///     POST /steps/{do|undo} {"order": 17} → 200 {status} | 409 compensated already | 422 refused (shipping)
enum SagaParticipant {
    enum Kind: Sendable {
        case inventory, payment, shipping
        var table: String {
            switch self {
            case .inventory: "reservations"
            case .payment: "payments"
            case .shipping: "shipments"
            }
        }
        var done: String {
            switch self {
            case .inventory: "reserved"
            case .payment: "captured"
            case .shipping: "scheduled"
            }
        }
        var undone: String {
            switch self {
            case .inventory: "released"
            case .payment: "refunded"
            case .shipping: "cancelled"
            }
        }
        var step: String {
            switch self {
            case .inventory: "reserve"
            case .payment: "capture"
            case .shipping: "schedule"
            }
        }
        var compensation: String {
            switch self {
            case .inventory: "release"
            case .payment: "refund"
            case .shipping: "cancel"
            }
        }
    }

    static let idempotentKnob = Knob.flag(
        "IDEMPOTENT", default: false, "steps and compensations are keyed by the order (repeats are no-ops)")
    static let failRateKnob = Knob.number("FAIL_RATE", default: 0, in: 0...1, "the share of steps refused (422) before doing anything")
    static let slowRateKnob = Knob.number(
        "SLOW_RATE", default: 0, in: 0...1, "the share of steps that answer SLOW_MS late — after committing")
    static let slowKnob = Knob.milliseconds("SLOW_MS", default: 1_000, in: 0...60_000, "how late a slow step answers")
    static let workKnob = Knob.milliseconds("WORK_MS", default: 20, in: 0...60_000, "the step's work before it commits")
    static let knobs: [any LabKnob] = [idempotentKnob, failRateKnob, slowRateKnob, slowKnob, workKnob] + LabPostgres.knobs

    static func build(_ service: LabService, _ kind: Kind) async throws {
        guard let db = try service.postgres() else { throw LabStartupError("\(kind.table) needs DATABASE_URL") }
        let idempotent = try service.knobs.read(idempotentKnob)
        let failRate = try service.knobs.read(failRateKnob)
        let slowRate = try service.knobs.read(slowRateKnob)
        let slow = try service.knobs.read(slowKnob)
        let work = try service.knobs.read(workKnob)
        let outcomes = { @Sendable (action: String, outcome: String) in
            Counter(label: "saga_participant_requests_total", dimensions: [("action", action), ("outcome", outcome)])
        }

        service.router.post("/steps/do") { request, _ -> Response in
            guard let order = try await Self.order(request) else { return .jsonError("expected {\"order\": number}", status: .badRequest) }
            try await Task.sleep(for: work)
            if Double.random(in: 0..<1) < failRate {
                outcomes(kind.step, "refused").increment()
                return .jsonError("\(kind.step) refused for order \(order)", status: .unprocessableContent)
            }
            if idempotent {
                // Keyed, one request per order at a time: the first row for the order decides, and a
                // compensation that came first wins.
                let refused = try await db.transaction { tx -> Bool in
                    try await tx.query("SELECT pg_advisory_xact_lock(\(order))")
                    let existing = try await tx.query(
                        "SELECT status FROM \(unescaped: kind.table) WHERE order_id = \(order) ORDER BY id LIMIT 1"
                    )
                    .first?.decode(String.self)
                    if existing == kind.undone { return true }
                    if existing == nil {
                        try await tx.query("INSERT INTO \(unescaped: kind.table) (order_id, status) VALUES (\(order), \(kind.done))")
                    }
                    return false
                }
                if refused {
                    outcomes(kind.step, "already_compensated").increment()
                    return .jsonError("order \(order) was compensated already", status: .conflict)
                }
            } else {
                try await db.query("INSERT INTO \(unescaped: kind.table) (order_id, status) VALUES (\(order), \(kind.done))")
            }
            outcomes(kind.step, "done").increment()
            // The step has committed; a slow answer arrives after the caller may have given up.
            if Double.random(in: 0..<1) < slowRate { try await Task.sleep(for: slow) }
            return .json(["status": .string(kind.done)])
        }

        service.router.post("/steps/undo") { request, _ -> Response in
            guard let order = try await Self.order(request) else { return .jsonError("expected {\"order\": number}", status: .badRequest) }
            if idempotent {
                // A tombstone if the step has not arrived yet: the late step will find it and refuse.
                try await db.transaction { tx in
                    try await tx.query("SELECT pg_advisory_xact_lock(\(order))")
                    try await tx.query(
                        """
                        INSERT INTO \(unescaped: kind.table) (order_id, status)
                        SELECT \(order), \(kind.undone) WHERE NOT EXISTS (SELECT 1 FROM \(unescaped: kind.table) WHERE order_id = \(order))
                        """)
                    try await tx.query("UPDATE \(unescaped: kind.table) SET status = \(kind.undone) WHERE order_id = \(order)")
                }
            } else {
                try await db.query("UPDATE \(unescaped: kind.table) SET status = \(kind.undone) WHERE order_id = \(order)")
            }
            outcomes(kind.compensation, "done").increment()
            return .json(["status": .string(kind.undone)])
        }
    }

    static func order(_ request: Request) async throws -> Int64? {
        let body = try? await request.body.collect(upTo: 64 * 1024)
        return body.flatMap { try? JSONValue.parse($0.readableBytesView) }?["order"]?.doubleValue.map { Int64($0) }
    }
}

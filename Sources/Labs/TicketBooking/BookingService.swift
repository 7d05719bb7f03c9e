import LabKit
import Synchronization

/// KEY IDEA: "is the seat free? then take it" is two steps, and between them another buyer can ask the
/// same question and get the same answer: two holds on one seat, two payments, one seat sold twice.
/// Make the database the arbiter: the seat ROW is what a hold takes (`SELECT … FOR UPDATE SKIP LOCKED`
/// so concurrent buyers are handed different seats instead of queueing for the same one), a hold
/// carries an expiry after which the seat is free again, payment succeeds only for the seat's current,
/// unexpired hold, and `UNIQUE (event_id, seat_no)` on bookings is the safety net under all of it.
/// Double bookings are counted by SQL over the committed bookings (`invariant_violations`).
///
///     POST /holds                 {"customer": "…"} → 201 {hold, seat, expires_in_ms} | 409 sold out
///     POST /bookings/{hold}/pay   → 200 {booking, seat} | 404 | 409 seat taken | 410 hold expired
///     GET  /seats                 → free / held / paid counts;  GET /invariants
enum BookingService {
    static let invariants = [
        // Seats that more than one booking paid for.
        SQLInvariant(
            "double_booked_seats",
            """
            SELECT count(*) FROM (SELECT event_id, seat_no FROM bookings GROUP BY 1, 2 HAVING count(*) > 1) AS d
            """),
        // Bookings beyond the first for their seat: customers who paid for a seat someone else has.
        SQLInvariant(
            "extra_bookings",
            """
            SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM bookings GROUP BY event_id, seat_no) AS c
            """),
    ]

    static let strategyKnob = Knob<BookingStrategy>.choice(
        "STRATEGY", default: .naive,
        "how a seat is held and paid: `naive` (check, then insert), `constraint` (the same + a unique constraint), "
            + "`locked` (FOR UPDATE SKIP LOCKED holds with expiry, conditional payment, the constraint)")
    static let workKnob = Knob.milliseconds(
        "WORK_MS", default: 20, in: 0...60_000, "the time between a check and its write (`work_ms` in PUT /admin/config overrides it)")
    static let eventKnob = Knob.wholeNumber("EVENT_ID", default: 1, in: 1..., "the event whose seats are sold")
    static let holdTTLKnob = Knob.milliseconds(
        "HOLD_TTL_MS", default: 2_000, in: 1...3_600_000, "a hold expires this long after it was taken")
    static let knobs: [any LabKnob] = [strategyKnob, workKnob, eventKnob, holdTTLKnob] + LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        guard let db = try service.postgres() else { throw LabStartupError("the booking service needs DATABASE_URL (PostgreSQL)") }
        let strategy = try service.knobs.read(strategyKnob)
        let config = service.context.config
        let defaultWorkMs = Int(try service.knobs.read(workKnob) / .milliseconds(1))
        let store = BookingStore(
            strategy: strategy, db: db,
            event: try service.knobs.read(eventKnob),
            holdTTL: try service.knobs.read(holdTTLKnob),
            think: {
                let ms = config.int("work_ms", default: defaultWorkMs) ?? defaultWorkMs
                if ms > 0 { try await Task.sleep(for: .milliseconds(ms)) }
            })
        let checker = service.sqlInvariants(invariants, on: db, interval: .milliseconds(250))
        // The fixed variants' migration runs before the service reports ready.
        let migrated = Migration(store)
        service.addReadinessCheck("migration") { try await migrated.ensure() }

        let holds = { @Sendable (outcome: String) in Counter(label: "booking_holds_total", dimensions: [("outcome", outcome)]) }
        let payments = { @Sendable (outcome: String) in Counter(label: "booking_payments_total", dimensions: [("outcome", outcome)]) }
        for outcome in ["held", "sold_out"] { holds(outcome).increment(by: 0) }
        for outcome in ["paid", "seat_taken", "expired"] { payments(outcome).increment(by: 0) }

        service.router.post("/holds") { request, context -> Response in
            try await migrated.ensure()
            let body = try? await request.body.collect(upTo: 64 * 1024)
            let customer = body.flatMap { try? JSONValue.parse($0.readableBytesView) }?["customer"]?.stringValue ?? "anonymous"
            switch try await store.hold(customer: customer) {
            case .held(let hold, let seat, let expiresInMs):
                holds("held").increment()
                return .json(
                    ["hold": .number(Double(hold)), "seat": .number(Double(seat)), "expires_in_ms": .number(Double(expiresInMs))],
                    status: .created)
            case .soldOut:
                holds("sold_out").increment()
                return .jsonError("sold out", status: .conflict)
            }
        }

        service.router.post("/bookings/:hold/pay") { _, context -> Response in
            guard let hold = context.parameters.get("hold", as: Int.self) else {
                return .jsonError("hold must be a number", status: .badRequest)
            }
            switch try await store.pay(hold: hold) {
            case .paid(let booking, let seat):
                payments("paid").increment()
                return .json(["booking": .number(Double(booking)), "seat": .number(Double(seat))])
            case .noSuchHold:
                return .jsonError("no hold \(hold)", status: .notFound)
            case .seatTaken:
                payments("seat_taken").increment()
                return .jsonError("seat already booked", status: .conflict)
            case .expired:
                payments("expired").increment()
                return .jsonError("hold \(hold) expired", status: .gone)
            }
        }

        service.router.get("/seats") { _, _ -> JSONValue in
            let rows = try await db.query(
                """
                SELECT (SELECT count(DISTINCT seat_no) FROM bookings), (SELECT count(*) FROM bookings), (SELECT count(*) FROM seats)
                """)
            let (paidSeats, bookings, seats) = try rows.first?.decode((Int, Int, Int).self) ?? (0, 0, 0)
            return ["seats": .number(Double(seats)), "paid_seats": .number(Double(paidSeats)), "bookings": .number(Double(bookings))]
        }

        service.router.get("/invariants") { _, _ -> JSONValue in
            .object(checker.lastCounts.mapValues { .number(Double($0)) })
        }
    }
}

/// Runs `BookingStore.migrate` once (retried until it succeeds; readiness waits for it).
private final class Migration: Sendable {
    private let store: BookingStore
    private let done = Mutex(false)
    init(_ store: BookingStore) { self.store = store }

    func ensure() async throws {
        guard !done.withLock({ $0 }) else { return }
        try await store.migrate()
        done.withLock { $0 = true }
    }
}

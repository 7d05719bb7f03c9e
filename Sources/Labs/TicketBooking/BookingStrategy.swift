import LabKit

/// How the booking service picks a seat and confirms a payment.
enum BookingStrategy: String, Sendable, CaseIterable {
    /// Check, then insert: "find a seat with no live hold and no booking", think, insert a hold;
    /// at payment "no booking for this seat yet?", think, insert the booking. No locks, no constraint:
    /// two buyers who check at the same time both get the seat, and both pay for it.
    case naive
    /// The same code, plus `UNIQUE (event_id, seat_no)` on bookings: the second payment fails with
    /// 23505 — no double booking, but the customer finds out at the till.
    case constraint
    /// The seat row is the lock: a hold is `SELECT … FOR UPDATE SKIP LOCKED` (take the first seat
    /// nobody else is taking right now) + setting `hold_id, held_until` on it; payment succeeds only
    /// if the seat still carries this hold, unexpired. Plus the unique constraint as a safety net.
    case locked
}

enum HoldOutcome: Sendable {
    case held(hold: Int, seat: Int, expiresInMs: Int)
    case soldOut
}

enum PayOutcome: Sendable {
    case paid(booking: Int, seat: Int)
    case noSuchHold
    case expired
    /// Someone else already paid for this seat.
    case seatTaken
}

struct BookingStore: Sendable {
    let strategy: BookingStrategy
    let db: LabPostgres
    let event: Int
    let holdTTL: Duration
    /// The app's work between its check and its write (a real window, widened by a sleep).
    let think: @Sendable () async throws -> Void

    private var ttlSeconds: Double { Double(holdTTL.components.seconds) + Double(holdTTL.components.attoseconds) / 1e18 }

    /// The fixed variants' migration: one booking per seat, enforced by the database.
    func migrate() async throws {
        guard strategy != .naive else { return }
        try await db.query("CREATE UNIQUE INDEX IF NOT EXISTS bookings_one_per_seat ON bookings (event_id, seat_no)")
    }

    func hold(customer: String) async throws -> HoldOutcome {
        switch strategy {
        case .naive, .constraint: try await checkThenInsertHold(customer)
        case .locked: try await skipLockedHold(customer)
        }
    }

    func pay(hold: Int) async throws -> PayOutcome {
        switch strategy {
        case .naive, .constraint: try await checkThenInsertBooking(hold)
        case .locked: try await conditionalBooking(hold)
        }
    }

    // BEFORE: the check and the insert are separate statements; between them, anyone can take the seat.
    private func checkThenInsertHold(_ customer: String) async throws -> HoldOutcome {
        let free = try await db.query(
            """
            SELECT s.seat_no FROM seats s
            WHERE s.event_id = \(event)
              AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.event_id = s.event_id AND b.seat_no = s.seat_no)
              AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.event_id = s.event_id AND h.seat_no = s.seat_no AND h.expires_at > now())
            ORDER BY s.seat_no LIMIT 1
            """)
        guard let seat = try free.first?.decode(Int.self) else { return .soldOut }
        try await think()
        let rows = try await db.query(
            """
            INSERT INTO holds (event_id, seat_no, customer, expires_at)
            VALUES (\(event), \(seat), \(customer), now() + make_interval(secs => \(ttlSeconds))) RETURNING id
            """)
        return .held(hold: try rows.first?.decode(Int.self) ?? 0, seat: seat, expiresInMs: Int(ttlSeconds * 1000))
    }

    private func checkThenInsertBooking(_ hold: Int) async throws -> PayOutcome {
        let rows = try await db.query("SELECT event_id, seat_no, customer, expires_at > now() FROM holds WHERE id = \(hold)")
        guard let (event, seat, customer, live) = try rows.first?.decode((Int, Int, String, Bool).self) else { return .noSuchHold }
        guard live else { return .expired }
        let taken = try await db.query("SELECT count(*) FROM bookings WHERE event_id = \(event) AND seat_no = \(seat)")
        guard try taken.first?.decode(Int.self) == 0 else { return .seatTaken }
        try await think()
        do {
            let booking = try await db.query(
                """
                INSERT INTO bookings (hold_id, event_id, seat_no, customer) VALUES (\(hold), \(event), \(seat), \(customer)) RETURNING id
                """)
            return .paid(booking: try booking.first?.decode(Int.self) ?? 0, seat: seat)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            return .seatTaken // the unique constraint (constraint variant) caught the second payment
        }
    }

    // AFTER: pick and hold in one statement. SKIP LOCKED: a seat another buyer is holding right now
    // is skipped, not waited for, so concurrent buyers get different seats instead of queueing on seat 1.
    // An expired hold (held_until in the past) makes the seat free again: it is reclaimed here.
    private func skipLockedHold(_ customer: String) async throws -> HoldOutcome {
        try await think() // the same work as the naive path, before the one atomic step
        let rows = try await db.query(
            """
            WITH pick AS (
                SELECT event_id, seat_no FROM seats
                WHERE event_id = \(event) AND NOT paid AND held_until < now()
                ORDER BY seat_no LIMIT 1
                FOR UPDATE SKIP LOCKED),
            held AS (
                UPDATE seats s SET hold_id = nextval('holds_id_seq'), held_until = now() + make_interval(secs => \(ttlSeconds))
                FROM pick WHERE s.event_id = pick.event_id AND s.seat_no = pick.seat_no
                RETURNING s.hold_id, s.event_id, s.seat_no, s.held_until)
            INSERT INTO holds (id, event_id, seat_no, customer, expires_at)
            SELECT hold_id, event_id, seat_no, \(customer), held_until FROM held
            RETURNING id, seat_no
            """)
        guard let (hold, seat) = try rows.first?.decode((Int, Int).self) else { return .soldOut }
        return .held(hold: hold, seat: seat, expiresInMs: Int(ttlSeconds * 1000))
    }

    // AFTER: pay only if the seat still carries THIS hold and it has not expired, in one statement.
    private func conditionalBooking(_ hold: Int) async throws -> PayOutcome {
        try await think()
        let rows = try await db.query(
            """
            WITH paid AS (
                UPDATE seats s SET paid = true
                FROM holds h
                WHERE h.id = \(hold) AND s.event_id = h.event_id AND s.seat_no = h.seat_no
                  AND s.hold_id = h.id AND s.held_until > now() AND NOT s.paid
                RETURNING h.id, h.event_id, h.seat_no, h.customer)
            INSERT INTO bookings (hold_id, event_id, seat_no, customer)
            SELECT id, event_id, seat_no, customer FROM paid
            RETURNING id, seat_no
            """)
        if let (booking, seat) = try rows.first?.decode((Int, Int).self) { return .paid(booking: booking, seat: seat) }
        // Why not: tell the customer precisely.
        let why = try await db.query(
            """
            SELECT s.paid, s.hold_id = h.id, s.held_until > now()
            FROM holds h JOIN seats s ON s.event_id = h.event_id AND s.seat_no = h.seat_no WHERE h.id = \(hold)
            """)
        guard let (paid, mine, live) = try why.first?.decode((Bool, Bool, Bool).self) else { return .noSuchHold }
        if !mine || !live { return .expired } // the hold ran out (and the seat may be someone else's now)
        _ = paid
        return .seatTaken // already paid with this hold
    }
}

/// A point in time by which work must be done. Unlike a timeout ("2 s from whenever"), a deadline
/// stays fixed as a request passes through retries and downstream calls, so each hop spends only what
/// is left of the caller's budget.
public struct Deadline<C: Clock<Duration>>: Sendable {
    public let instant: C.Instant
    public let clock: C

    public init(_ instant: C.Instant, clock: C) {
        self.instant = instant
        self.clock = clock
    }

    /// The deadline `timeout` from now.
    public static func after(_ timeout: Duration, clock: C) -> Deadline {
        Deadline(clock.now.advanced(by: timeout), clock: clock)
    }

    /// Time left before the deadline, never negative.
    public var remaining: Duration { max(.zero, clock.now.duration(to: instant)) }

    /// Whether the deadline has been reached.
    public var hasExpired: Bool { clock.now >= instant }

    /// The earlier of this deadline and `timeout` from now: a hop's own timeout never extends the
    /// caller's budget.
    public func capped(by timeout: Duration) -> Deadline {
        let own = clock.now.advanced(by: timeout)
        return own < instant ? Deadline(own, clock: clock) : self
    }
}

extension Deadline where C == ContinuousClock {
    /// The deadline `timeout` from now on the real clock.
    public static func after(_ timeout: Duration) -> Deadline {
        after(timeout, clock: ContinuousClock())
    }
}

/// The propagated deadline header, `x-request-timeout-ms`: the caller's remaining budget in whole
/// milliseconds. Like gRPC's `grpc-timeout` it is relative (a duration, not a wall-clock time), so
/// clock skew between machines does not matter; each hop re-encodes what is left when it calls on.
///
/// The value is 1 to 8 ASCII digits (at most 99,999,999 ms, about 27.8 hours, as gRPC allows), with
/// optional surrounding spaces or tabs. Anything else (signs, fractions, units, empty, too long) is
/// ignored: a bad header means "no deadline", never an error.
public enum RequestTimeoutHeader {
    /// The header name (lowercase, as HTTP/2 requires).
    public static let name = "x-request-timeout-ms"
    public static let maxDigits = 8

    /// The remaining budget a header value carries, or nil if the value is malformed.
    public static func parse(_ value: some StringProtocol) -> Duration? {
        let trimmed = value.utf8.drop(while: isBlank).reversed().drop(while: isBlank).reversed()
        guard (1...maxDigits).contains(trimmed.count), trimmed.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else {
            return nil
        }
        let milliseconds = trimmed.reduce(Int64(0)) { $0 * 10 + Int64($1 - UInt8(ascii: "0")) }
        return .milliseconds(milliseconds)
    }

    /// The header value for a remaining budget: whole milliseconds rounded down (the callee must not
    /// believe it has more time than it does), clamped to 0...99,999,999.
    public static func format(_ remaining: Duration) -> String {
        let milliseconds = remaining.attoseconds / 1_000_000_000_000_000 // truncates toward zero
        return String(min(max(milliseconds, 0), 99_999_999))
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}

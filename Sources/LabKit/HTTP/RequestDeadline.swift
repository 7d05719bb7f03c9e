import HTTPTypes
import ServiceContextModule

// SEAM: the resilience helper's `Deadline` (Sources/LabKit/Resilience) owns deadline propagation;
// until it lands, this one small type is the whole of our deadline handling.

/// The time by which the caller wants an answer, from the incoming `x-request-timeout-ms` header.
/// The server middleware puts it into the task's ServiceContext; `PeerClient` caps its call timeouts
/// by what is left and forwards the remainder.
public struct RequestDeadline: Sendable, Equatable {
    public static let headerName = "x-request-timeout-ms"
    public let instant: ContinuousClock.Instant

    public init(_ instant: ContinuousClock.Instant) { self.instant = instant }

    public init(timeout: Duration, now: ContinuousClock.Instant = .now) { self.instant = now + timeout }

    /// Reads the header (whole non-negative milliseconds); anything else is ignored.
    public init?(headers: HTTPFields, now: ContinuousClock.Instant = .now) {
        guard let raw = headers[HTTPField.Name(Self.headerName)!], let ms = Int64(raw.trimmingCharacters(in: .whitespaces)), ms >= 0 else { return nil }
        self.init(timeout: .milliseconds(ms), now: now)
    }

    public func remaining(now: ContinuousClock.Instant = .now) -> Duration { instant - now }

    /// The deadline of the request this task is serving, if its caller set one.
    public static var current: RequestDeadline? { ServiceContext.current?[RequestDeadlineKey.self] }
}

enum RequestDeadlineKey: ServiceContextKey {
    typealias Value = RequestDeadline
    static var nameOverride: String? { "dlab-request-deadline" }
}

extension ServiceContext {
    public var requestDeadline: RequestDeadline? {
        get { self[RequestDeadlineKey.self] }
        set { self[RequestDeadlineKey.self] = newValue }
    }
}

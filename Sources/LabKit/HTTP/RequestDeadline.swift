import HTTPTypes
import ServiceContextModule

/// The deadline of the request this task is serving, carried in the task's ServiceContext.
///
/// The server middleware reads the caller's `x-request-timeout-ms` (the resilience `RequestTimeoutHeader`
/// rules) into a `Deadline`; `PeerClient` caps each call's timeout by what is left and forwards the
/// remainder, so every hop spends only what is left of the first caller's budget.
public typealias RequestDeadline = Deadline<ContinuousClock>

extension Deadline where C == ContinuousClock {
    /// The deadline of the request this task is serving, if its caller set one.
    public static var current: Deadline? { ServiceContext.current?.requestDeadline }

    /// Reads `x-request-timeout-ms`; a missing or malformed header means no deadline.
    init?(requestHeaders headers: HTTPFields) {
        guard let raw = headers[HTTPField.Name(RequestTimeoutHeader.name)!], let budget = RequestTimeoutHeader.parse(raw) else {
            return nil
        }
        self = .after(budget)
    }
}

enum RequestDeadlineKey: ServiceContextKey {
    typealias Value = Deadline<ContinuousClock>
    static var nameOverride: String? { "dlab-request-deadline" }
}

extension ServiceContext {
    public var requestDeadline: Deadline<ContinuousClock>? {
        get { self[RequestDeadlineKey.self] }
        set { self[RequestDeadlineKey.self] = newValue }
    }
}

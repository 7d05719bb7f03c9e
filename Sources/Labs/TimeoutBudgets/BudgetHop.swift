import HTTPTypes
import LabKit
import NIOHTTP1
import ServiceContextModule

/// KEY IDEA: a timeout is a promise about the caller, and only the caller knows it. When each hop
/// has its own fixed timeout (1 s here, longer than the client's 500 ms) and nobody stops when the
/// caller gives up, the work at the bottom of the chain goes on for requests whose client left long
/// ago: the leaf spends its capacity on answers nobody reads, its queue grows, and requests that
/// could have been answered in time wait behind doomed ones. Propagate the deadline instead (each hop
/// forwards what is left in `x-request-timeout-ms`), check it before every call (with less than
/// MIN_BUDGET_MS left the call cannot succeed: answer 504 now), let the leaf refuse work that cannot
/// finish in the time left, and cancel work whose caller hung up.
enum BudgetHop {
    static let routes = ["quote", "statement"]

    static func build(_ service: LabService, next: String, isEdge: Bool) async throws {
        let settings = try BudgetHopSettings(service.knobs)
        let downstream = try service.context.peer(next, timeout: settings.hopTimeout)
        let notCalled = Counter(label: "hop_calls_skipped_total", dimensions: [("reason", "budget_spent")])
        notCalled.increment(by: 0)

        for operation in routes {
            service.router.get(RouterPath("/\(operation)/:id")) { request, context -> Response in
                let id = context.parameters.get("id") ?? "0"
                // The observation header: stamped by the edge from the client's own budget, passed on by the rest.
                var observation = HTTPHeaders()
                if isEdge, let raw = request.headers[HTTPField.Name(RequestTimeoutHeader.name)!],
                    let budget = RequestTimeoutHeader.parse(raw)
                {
                    observation.add(name: ObservedClientDeadline.header, value: ObservedClientDeadline.stamp(budget: budget))
                } else if let stamped = request.headers[HTTPField.Name(ObservedClientDeadline.header)!] {
                    observation.add(name: ObservedClientDeadline.header, value: stamped)
                }
                let forwarded = observation

                @Sendable func handle() async throws -> Response {
                    try await Task.sleep(for: settings.hopWork) // this hop's own share of the work
                    if settings.deadlines, let left = RequestDeadline.current?.remaining, left < settings.minimumBudget {
                        notCalled.increment()
                        return .jsonError("\(next) not called: \(left / .milliseconds(1)) ms of the budget left", status: .gatewayTimeout)
                    }
                    do {
                        let reply = try await downstream.get("/\(operation)/\(id)", route: "/\(operation)/{id}", headers: forwarded)
                        return .json(reply.json, status: .init(code: reply.status))
                    } catch let error as PeerError {
                        switch error {
                        case .timeout, .deadlineExceeded: return .jsonError("\(error)", status: .gatewayTimeout)
                        default: return .jsonError("\(error)", status: .badGateway)
                        }
                    }
                }

                return try await withCallerDeadline(settings.deadlines) {
                    settings.cancelOnDisconnect ? try await request.cancellingOnClientDisconnect(handle) : try await handle()
                }
            }
        }
    }
}

/// Runs `body` with the caller's deadline (LabKit's middleware read it from `x-request-timeout-ms`)
/// when `honoured`; otherwise without any, so `PeerClient` uses only its own fixed timeout and
/// forwards nothing — the hop behaves as if nobody had told it how long its caller waits.
func withCallerDeadline<R>(_ honoured: Bool, _ body: () async throws -> R) async throws -> R {
    guard !honoured, var context = ServiceContext.current, context.requestDeadline != nil else { return try await body() }
    context.requestDeadline = nil
    return try await ServiceContext.withValue(context) { try await body() }
}

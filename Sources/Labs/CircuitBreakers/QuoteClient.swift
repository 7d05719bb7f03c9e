import LabKit
import Synchronization

/// KEY IDEA: a dependency that is down should cost the caller nothing. Without a breaker every request
/// waits the whole timeout for a backend that will not answer, so latency and in-flight requests pile
/// up and the sick backend still receives every call. With a breaker, once enough recent calls failed
/// the client stops calling (open), answers at once from a fallback, and after a wait lets a few probe
/// calls through (half-open) to find out whether the backend has healed (closed again).
enum QuoteClient {
    static func build(_ service: LabService) async throws {
        let settings = try BreakerSettings(service.knobs)
        let backend = try service.context.peer("backend", timeout: settings.backendTimeout)
        let logger = service.context.logger
        let breaker: CircuitBreaker<ContinuousClock>? =
            settings.breakerEnabled
            ? CircuitBreaker(name: "backend", configuration: settings.breaker) { from, to in
                logger.warning("circuit breaker 'backend': \(from) → \(to)")
            }
            : nil
        let lastGood = LastGoodPrices()
        let calls = BackendCallMeter()

        service.router.get("/quote/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            /// One real call to the backend; a non-2xx answer is a failure like a timeout is.
            @Sendable func callBackend() async throws -> Double {
                let reply = try await calls.measure { try await backend.get("/price/\(id)", route: "/price/{id}") }
                guard reply.isSuccess, case .number(let price)? = reply.json["price"] else {
                    throw BackendStatusError(status: reply.status)
                }
                return price
            }
            do {
                let price: Double
                if let breaker {
                    price = try await breaker.execute { try await callBackend() } // rejected at once while open
                } else {
                    price = try await callBackend() // waits up to the timeout, every time
                }
                lastGood.store(price, for: id)
                return .json(["id": .string(id), "price": .number(price), "source": "backend"])
            } catch {
                guard settings.fallbackEnabled else {
                    let status: HTTPResponse.Status = error is CircuitBreakerOpenError ? .serviceUnavailable : .badGateway
                    return .jsonError("\(error)", status: status)
                }
                let (price, stale) = lastGood.price(for: id)
                return .json([
                    "id": .string(id), "price": .number(price), "source": "fallback", "cached": .bool(stale), "reason": .string("\(error)"),
                ])
            }
        }
    }
}

struct BackendStatusError: Error, CustomStringConvertible {
    let status: Int
    var description: String { "backend answered \(status)" }
}

/// The fallback's data: the last price the backend gave for each id (a default when there is none).
final class LastGoodPrices: Sendable {
    static let defaultPrice = 0.0
    private let prices = Mutex<[String: Double]>([:])

    func store(_ price: Double, for id: String) { prices.withLock { $0[id] = price } }

    /// The cached price and whether there was one.
    func price(for id: String) -> (Double, Bool) {
        prices.withLock { $0[id].map { ($0, true) } ?? (Self.defaultPrice, false) }
    }
}

/// Counts backend calls when they START (`backend_calls_total`) and how many are waiting right now
/// (`backend_calls_in_flight`): the pile-up a breaker prevents. Counting at the start means a call that
/// is still waiting at the end of a phase is already in that phase's numbers.
final class BackendCallMeter: Sendable {
    private let started = Counter(label: "backend_calls_total")
    private let inFlightGauge = Gauge(label: "backend_calls_in_flight")
    private let inFlight = Mutex(0)

    func measure<R>(_ call: () async throws -> R) async throws -> R {
        started.increment()
        inFlightGauge.record(
            inFlight.withLock {
                $0 += 1
                return $0
            })
        defer {
            inFlightGauge.record(
                inFlight.withLock {
                    $0 -= 1
                    return $0
                })
        }
        return try await call()
    }
}

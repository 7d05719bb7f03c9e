import HTTPTypes
import LabKit

/// Why a dependency call gave nothing usable.
struct DependencyFailure: Error, CustomStringConvertible {
    var reason: String
    var status: HTTPResponse.Status
    var description: String { reason }
}

/// The page's calls and answers, counted: `page_responses_total{quality="full|degraded|failed"}`,
/// `dependency_failures_total{dependency,reason="timeout|error|unavailable"}`,
/// `dependency_fallbacks_total{dependency}`, `price_source_total{source="live|stale|none"}`. Every
/// series exists from the start.
struct PageMeter: Sendable {
    private let full = Counter(label: "page_responses_total", dimensions: [("quality", "full")])
    private let degradedCounter = Counter(label: "page_responses_total", dimensions: [("quality", "degraded")])
    private let failedCounter = Counter(label: "page_responses_total", dimensions: [("quality", "failed")])

    init() {
        for counter in [full, degradedCounter, failedCounter] { counter.increment(by: 0) }
        for dependency in ["recommendations", "pricing", "inventory"] {
            for reason in ["timeout", "error", "unavailable"] {
                Counter(label: "dependency_failures_total", dimensions: [("dependency", dependency), ("reason", reason)]).increment(by: 0)
            }
            Counter(label: "dependency_fallbacks_total", dimensions: [("dependency", dependency)]).increment(by: 0)
        }
        for source in ["live", "stale", "none"] { Counter(label: "price_source_total", dimensions: [("source", source)]).increment(by: 0) }
    }

    /// One dependency call: its JSON body, or why there is none.
    func fetch(_ peer: PeerClient, _ path: String, route: String) async -> Result<JSONValue, DependencyFailure> {
        let failure: DependencyFailure
        do {
            let reply = try await peer.get(path, route: route)
            if reply.isSuccess { return .success(reply.json) }
            failure = DependencyFailure(reason: "answered \(reply.status)", status: .badGateway)
            count(peer.name, "error")
        } catch let error as PeerError {
            switch error {
            case .timeout, .deadlineExceeded:
                failure = DependencyFailure(reason: "\(error)", status: .gatewayTimeout)
                count(peer.name, "timeout")
            default:
                failure = DependencyFailure(reason: "\(error)", status: .badGateway)
                count(peer.name, "unavailable")
            }
        } catch {
            failure = DependencyFailure(reason: "\(error)", status: .badGateway)
            count(peer.name, "unavailable")
        }
        return .failure(failure)
    }

    func fellBack(_ dependency: String) {
        Counter(label: "dependency_fallbacks_total", dimensions: [("dependency", dependency)]).increment()
    }

    func priceSource(_ source: String) {
        Counter(label: "price_source_total", dimensions: [("source", source)]).increment()
    }

    func failed(_ reason: String, status: HTTPResponse.Status) -> Response {
        failedCounter.increment()
        return .jsonError("the page failed: \(reason)", status: status)
    }

    /// The page, marked degraded (body and `x-degraded` header) when something is missing or stale.
    func answer(
        id: String, related: Result<JSONValue, DependencyFailure>, price: Result<JSONValue, DependencyFailure>,
        stock: Result<JSONValue, DependencyFailure>, degraded: [String]
    ) -> Response {
        (degraded.isEmpty ? full : degradedCounter).increment()
        let body: JSONValue = [
            "id": .string(id),
            "recommendations": (try? related.get())?["items"] ?? [],
            "price": (try? price.get()) ?? .null,
            "available": (try? stock.get())?["available"] ?? .null,
            "degraded": .array(degraded.map { .string($0) }),
        ]
        var response = Response.json(body)
        if !degraded.isEmpty { response.headers[HTTPField.Name("x-degraded")!] = degraded.joined(separator: ",") }
        return response
    }

    private func count(_ dependency: String, _ reason: String) {
        Counter(label: "dependency_failures_total", dimensions: [("dependency", dependency), ("reason", reason)]).increment()
    }
}

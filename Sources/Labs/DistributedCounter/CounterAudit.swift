import Foundation
import LabKit
import Metrics

/// The checker, run once the load has stopped: it waits until no replica is counting a view (every
/// in-flight request finished, twice in a row), then adds up the views the replicas acknowledged and
/// compares them with what Redis holds. Lost views are exact: no request is half-done when it reads.
/// `audit_views_acknowledged`, `audit_views_stored`, `audit_views_lost`.
struct CounterAudit: Sendable {
    let replicas: [PeerClient]
    private let acknowledged = Gauge(label: "audit_views_acknowledged")
    private let stored = Gauge(label: "audit_views_stored")
    private let lost = Gauge(label: "audit_views_lost")

    init(replicas: [PeerClient]) {
        self.replicas = replicas
    }

    func run(timeout: Duration = .seconds(9)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        var quietReads = 0
        while true {
            let reports = try await replicas.asyncMap { try await $0.get("/audit/views", route: "/audit/views").json }
            let inFlight = reports.reduce(0) { $0 + ($1["in_flight"]?.intValue ?? 0) }
            quietReads = inFlight == 0 ? quietReads + 1 : 0
            if quietReads == 2 {
                let acknowledgedViews = reports.reduce(0) { $0 + ($1["acknowledged"]?.intValue ?? 0) }
                guard case .object(let totals)? = reports.first?["stored"] else { throw LabStartupError("audit: no stored totals") }
                let storedViews = totals.values.reduce(0) { $0 + ($1.intValue ?? 0) }
                acknowledged.record(acknowledgedViews)
                stored.record(storedViews)
                lost.record(acknowledgedViews - storedViews)
                return [
                    "acknowledged": .number(Double(acknowledgedViews)), "stored": .number(Double(storedViews)),
                    "lost": .number(Double(acknowledgedViews - storedViews)),
                ]
            }
            guard ContinuousClock.now < deadline else {
                throw LabStartupError("audit: \(inFlight) views still being counted after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

extension Array where Element: Sendable {
    fileprivate func asyncMap<T: Sendable>(_ transform: @Sendable (Element) async throws -> T) async throws -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}

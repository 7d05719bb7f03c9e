import Foundation
import LabKit
import Metrics
import Synchronization

/// The search index the table must be mirrored into (an Elasticsearch stand-in that only keeps what
/// the lesson counts): for each product, every version it was told about.
/// - `index_versions_seen`: distinct (product, version) pairs received — the audit compares it with
///   the writer's `product_versions_committed`;
/// - `cdc_detection_lag_seconds`: for each version seen for the first time, now − when it was written.
///
///     POST /index {"changes": [{id, version, changed_at_ms}, …]} → 200 {new}
enum SearchIndex {
    static let knobs: [any LabKnob] = []

    static func build(_ service: LabService) async throws {
        let seen = Mutex<[Int: Set<Int>]>([:])
        let versionsSeen = Gauge(label: "index_versions_seen")
        let redelivered = Counter(label: "index_changes_redelivered_total")
        let lag = Timer(label: "cdc_detection_lag_seconds", preferredDisplayUnit: .seconds)
        versionsSeen.record(0)
        redelivered.increment(by: 0)

        service.router.post("/index") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 * 1024 * 1024)
            guard let json = try? JSONValue.parse(body.readableBytesView), case .array(let changes)? = json["changes"] else {
                return .jsonError("expected {\"changes\": [{id, version, changed_at_ms}]}", status: .badRequest)
            }
            let nowMs = Date().timeIntervalSince1970 * 1000
            var fresh = 0
            for change in changes {
                guard let id = change["id"]?.intValue, let version = change["version"]?.intValue,
                    let at = change["changed_at_ms"]?.doubleValue
                else {
                    return .jsonError("each change needs id, version and changed_at_ms", status: .badRequest)
                }
                let isNew = seen.withLock { $0[id, default: []].insert(version).inserted }
                if isNew {
                    fresh += 1
                    lag.recordNanoseconds(Int64(max(0, nowMs - at) * 1_000_000))
                } else {
                    redelivered.increment()
                }
            }
            versionsSeen.record(seen.withLock { $0.values.reduce(0) { $0 + $1.count } })
            return .json(["new": .number(Double(fresh))])
        }
    }
}

import LabKit
import Metrics

/// The checker, run after the heal and a quiet spell: every replica's counters against the ledger of
/// acknowledged operations, and its `cart` element by element against the add-wins answer.
///
/// `audit_counter_expected`: Σ over counters of (increments − decrements acknowledged).
/// `audit_lost_operations`: the worst replica's Σ |expected − observed| over counters;
/// `audit_lost_share` = that / expected. `audit_set_resurrected` / `audit_set_vanished`: elements
/// present that must be absent / absent that must be present (worst replica). `audit_add_wins`: 1 if
/// the concurrently removed and re-added element is present on every replica. `audit_replicas_equal`:
/// 1 if every replica shows the same state.
enum Audit {
    private static let expectedGauge = Gauge(label: "audit_counter_expected")
    private static let lostGauge = Gauge(label: "audit_lost_operations")
    private static let lostShareGauge = Gauge(label: "audit_lost_share")
    private static let resurrectedGauge = Gauge(label: "audit_set_resurrected")
    private static let vanishedGauge = Gauge(label: "audit_set_vanished")
    private static let addWinsGauge = Gauge(label: "audit_add_wins")
    private static let equalGauge = Gauge(label: "audit_replicas_equal")

    static func run(cluster: Cluster, ledger: Ledger) async throws -> JSONValue {
        // The last operations reach every replica within a sync interval or two; give them up to 1.5 s
        // to agree (the timing itself is `convergence_seconds`), then judge what each replica holds.
        var states = try await cluster.states()
        let deadline = ContinuousClock.now + .milliseconds(1500)
        while Set(states.map { $0["digest"]?.stringValue ?? "" }).count > 1, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            states = try await cluster.states()
        }
        let expected = ledger.expectedValues
        let expectedTotal = expected.values.reduce(0, +)
        var worstLost = 0
        var worstResurrected = 0
        var worstVanished = 0
        var addWins = true
        var perReplica: [JSONValue] = []
        for state in states {
            var lost = 0
            for (counter, value) in expected { lost += abs(value - (state["counters"]?[counter]?.intValue ?? 0)) }
            let cart: [JSONValue] = if case .array(let values)? = state["sets"]?[SetScript.set] { values } else { [] }
            let elements = Set(cart.compactMap(\.stringValue))
            let resurrected = elements.intersection(SetScript.absent).count
            let vanished = SetScript.present.subtracting(elements).count
            addWins = addWins && elements.contains("c")
            worstLost = max(worstLost, lost)
            worstResurrected = max(worstResurrected, resurrected)
            worstVanished = max(worstVanished, vanished)
            perReplica.append([
                "replica": state["replica"] ?? .null, "lost": .number(Double(lost)), "resurrected": .number(Double(resurrected)),
                "vanished": .number(Double(vanished)), "cart": .array(elements.sorted().map { .string($0) }),
            ])
        }
        let equal = Set(states.map { $0["digest"]?.stringValue ?? "" }).count == 1
        let share = expectedTotal > 0 ? Double(worstLost) / Double(expectedTotal) : 0
        expectedGauge.record(expectedTotal)
        lostGauge.record(worstLost)
        lostShareGauge.record(share)
        resurrectedGauge.record(worstResurrected)
        vanishedGauge.record(worstVanished)
        addWinsGauge.record(addWins ? 1 : 0)
        equalGauge.record(equal ? 1 : 0)
        return [
            "expected": .number(Double(expectedTotal)), "lost": .number(Double(worstLost)), "lost_share": .number(share),
            "resurrected": .number(Double(worstResurrected)), "vanished": .number(Double(worstVanished)), "add_wins": .bool(addWins),
            "replicas_equal": .bool(equal), "replicas": .array(perReplica),
        ]
    }
}

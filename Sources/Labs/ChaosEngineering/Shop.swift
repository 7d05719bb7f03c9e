import LabKit
import Synchronization

/// KEY IDEA: "it is resilient" is a hypothesis, and a chaos experiment tests it with a real fault.
/// State the steady state as numbers you measure (here: answered requests per second and the p99,
/// from Prometheus), inject one real fault (SIGSTOP one of two inventory replicas: a hang, the
/// nastiest failure, since nothing refuses or errors), keep measuring, and roll the fault back the
/// moment the numbers leave their bounds (the abort), so the experiment never costs more than a few
/// seconds of a broken steady state.
///
/// The fragile shop (before) sends each request to the next replica and waits up to CALL_TIMEOUT_MS
/// (5 s) for it: when one replica hangs, half of all requests hang with it, answers per second halve,
/// the hypothesis breaks within about two seconds and the abort fires. The resilient shop (after)
/// gives each call 150 ms and then asks the other replica (FAILOVER=on): the hung replica costs those
/// requests 150 ms, every one is still answered, and the same experiment holds for its whole length.
enum Shop {
    static let callTimeoutKnob = Knob.milliseconds(
        "CALL_TIMEOUT_MS", default: 5_000, in: 1...60_000, "how long the shop waits for one inventory replica's answer")
    static let failoverKnob = Knob.flag(
        "FAILOVER", default: false, "after a failed or timed-out call, ask the next inventory replica (once per replica)")
    static let knobs: [any LabKnob] = [callTimeoutKnob, failoverKnob]

    static func build(_ service: LabService) async throws {
        let timeout = try service.knobs.read(callTimeoutKnob)
        let failover = try service.knobs.read(failoverKnob)
        let replicas = try service.context.peers("inventory", timeout: timeout)
        let calls = InventoryCallCounters(replicas: replicas.count)
        let turns = RoundRobin(count: replicas.count)

        service.router.get(RouterPath("/product/:id")) { _, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            // Round robin: the first replica asked takes turns; with FAILOVER the others follow in order.
            let first = turns.next()
            let attempts = failover ? replicas.count : 1
            var lastError = "no replica asked"
            for attempt in 0..<attempts {
                let index = (first + attempt) % replicas.count
                do {
                    let reply = try await replicas[index].get("/stock/\(id)", route: "/stock/{id}")
                    guard reply.status == 200 else {
                        calls.record(replica: index, outcome: "error")
                        lastError = "inventory-\(index + 1) answered \(reply.status)"
                        continue
                    }
                    calls.record(replica: index, outcome: "ok")
                    if attempt > 0 { calls.failedOver() }
                    return .json(["id": .string(id), "stock": reply.json["stock"] ?? .null, "replica": .number(Double(index + 1))])
                } catch let error as PeerError {
                    let timedOut: Bool
                    switch error {
                    case .timeout, .deadlineExceeded: timedOut = true
                    default: timedOut = false
                    }
                    calls.record(replica: index, outcome: timedOut ? "timeout" : "error")
                    lastError = "inventory-\(index + 1): \(error)"
                }
            }
            return .jsonError(lastError, status: .badGateway)
        }
    }
}

/// Whose turn it is: 0, 1, …, count-1, 0, …
final class RoundRobin: Sendable {
    private let turn = Mutex(0)
    private let count: Int
    init(count: Int) { self.count = max(count, 1) }
    func next() -> Int {
        turn.withLock { value in
            defer { value = (value + 1) % count }
            return value
        }
    }
}

/// `shop_inventory_calls_total{replica, outcome}` (ok, timeout, error) and `shop_failovers_total`,
/// every series created at 0 when the shop starts.
final class InventoryCallCounters: Sendable {
    private let counters: [String: Counter]
    private let failovers = Counter(label: "shop_failovers_total")

    init(replicas: Int) {
        var counters: [String: Counter] = [:]
        for replica in 1...max(replicas, 1) {
            for outcome in ["ok", "timeout", "error"] {
                let counter = Counter(label: "shop_inventory_calls_total", dimensions: [("replica", "\(replica)"), ("outcome", outcome)])
                counter.increment(by: 0)
                counters["\(replica)/\(outcome)"] = counter
            }
        }
        self.counters = counters
        failovers.increment(by: 0)
    }

    func record(replica index: Int, outcome: String) { counters["\(index + 1)/\(outcome)"]?.increment() }
    func failedOver() { failovers.increment() }
}

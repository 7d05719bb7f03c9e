import HTTPTypes
import LabKit

/// The leaf: a ledger with LEDGER_WORKERS workers and an unbounded FIFO queue (in both variants). A
/// quote takes QUOTE_MS of a worker; a statement STATEMENT_MS, longer than any client here waits.
/// With DEADLINES=on it refuses work that cannot finish in the time left, before queueing and again
/// when a worker frees up; with CANCEL_ON_DISCONNECT=on a caller that hangs up takes its work away
/// (out of the queue, or cut short on the worker).
enum LedgerLeaf {
    static let workersKnob = Knob.wholeNumber("LEDGER_WORKERS", default: 4, in: 1...1_000, "requests the ledger works on at once")
    static let quoteKnob = Knob.milliseconds("QUOTE_MS", default: 40, in: 1...60_000, "ledger work for one quote")
    static let statementKnob = Knob.milliseconds("STATEMENT_MS", default: 800, in: 1...600_000, "ledger work for one statement")
    static let knobs: [any LabKnob] = BudgetHopSettings.ledgerKnobs + [workersKnob, quoteKnob, statementKnob]

    static func build(_ service: LabService) async throws {
        let deadlines = try service.knobs.read(BudgetHopSettings.deadlinesKnob)
        let cancelOnDisconnect = try service.knobs.read(BudgetHopSettings.cancelKnob)
        let costs = ["quote": try service.knobs.read(quoteKnob), "statement": try service.knobs.read(statementKnob)]
        let pool = WorkerPool(name: "ledger", configuration: .init(workers: try service.knobs.read(workersKnob)))
        let accounting = LedgerAccounting()

        for (operation, cost) in costs {
            service.router.get(RouterPath("/\(operation)/:id")) { request, context -> Response in
                let id = context.parameters.get("id") ?? "0"
                let clientDeadline = request.headers[HTTPField.Name(ObservedClientDeadline.header)!]

                /// With DEADLINES=on: is there time left for `cost` of work? (Without a deadline, always.)
                @Sendable func timeLeftFor(_ cost: Duration) -> Duration? {
                    guard deadlines, let left = RequestDeadline.current?.remaining, left < cost else { return nil }
                    return left
                }
                @Sendable func handle() async throws -> Response {
                    if let left = timeLeftFor(cost) {
                        accounting.refused(.beforeQueueing)
                        return .jsonError(
                            "\(operation) needs ~\(cost / .milliseconds(1)) ms, \(left / .milliseconds(1)) ms left: refused",
                            status: .gatewayTimeout)
                    }
                    return try await pool.execute { permit in
                        if let left = timeLeftFor(cost) { // the wait in the queue may have spent it
                            accounting.refused(.afterQueueing)
                            return .jsonError(
                                "\(operation): \(left / .milliseconds(1)) ms left after the queue: refused", status: .gatewayTimeout)
                        }
                        try await accounting.work(for: clientDeadline) { try await Task.sleep(for: cost) }
                        return .json([
                            "id": .string(id), "operation": .string(operation), "queued_ms": .number(permit.queued / .milliseconds(1)),
                        ])
                    }
                }
                return try await withCallerDeadline(deadlines) {
                    cancelOnDisconnect ? try await request.cancellingOnClientDisconnect(handle) : try await handle()
                }
            }
        }
    }
}

/// The ledger's books: `ledger_work_seconds_total{outcome="useful|wasted"}` — a worker's time on a
/// request that finished while its client was still waiting is useful; time on one that finished
/// after the client gave up, or was cancelled, is wasted — and `ledger_refused_total{when}`.
struct LedgerAccounting: Sendable {
    enum When: String {
        case beforeQueueing = "before_queueing"
        case afterQueueing = "after_queueing"
    }

    private let useful = FloatingPointCounter(label: "ledger_work_seconds_total", dimensions: [("outcome", "useful")])
    private let wasted = FloatingPointCounter(label: "ledger_work_seconds_total", dimensions: [("outcome", "wasted")])
    private let refusedBefore = Counter(label: "ledger_refused_total", dimensions: [("when", When.beforeQueueing.rawValue)])
    private let refusedAfter = Counter(label: "ledger_refused_total", dimensions: [("when", When.afterQueueing.rawValue)])

    init() {
        useful.increment(by: 0)
        wasted.increment(by: 0)
        refusedBefore.increment(by: 0)
        refusedAfter.increment(by: 0)
    }

    func refused(_ when: When) { (when == .beforeQueueing ? refusedBefore : refusedAfter).increment() }

    func work(for clientDeadline: String?, _ body: () async throws -> Void) async throws {
        let start = ContinuousClock.now
        var completed = false
        defer {
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            (completed && !ObservedClientDeadline.hasPassed(clientDeadline) ? useful : wasted).increment(by: seconds)
        }
        try await body()
        completed = true
    }
}

import Foundation
import LabKit
import Metrics
import PostgresNIO

/// The bank's front door, where the load arrives:
/// - `POST /transfers/{id}`: a transfer of 1 from a random account of bank A to one of bank B, sent to
///   the coordinator (a fresh transfer id per request);
/// - `POST /deposits/{id}`: a deposit into a random account of bank A, written directly (another
///   writer of the same rows, as a card network or a batch job would be). It waits at most
///   LOCK_TIMEOUT_MS for the account's row lock: `deposits_total{outcome="blocked"}` counts the
///   deposits that a lock held by someone else — an in-doubt prepared transaction — turned away.
enum BankClient {
    static let accountsKnob = Knob.wholeNumber("ACCOUNTS", default: 20, in: 1...10_000, "accounts per bank (bank.sql makes 20)")
    static let lockTimeoutKnob = Knob.milliseconds(
        "LOCK_TIMEOUT_MS", default: 1_000, in: 1...60_000, "how long a deposit waits for its account's row lock")
    static let knobs: [any LabKnob] = [accountsKnob, lockTimeoutKnob] + LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        let coordinator = try service.context.peer("coordinator", timeout: .seconds(10))
        let bankA = try service.postgres(urlVariable: "BANK_A_URL", poolName: "bank-a")
        let accounts = try service.knobs.read(accountsKnob)
        let lockTimeout = Int(try service.knobs.read(lockTimeoutKnob) / .milliseconds(1))
        let deposits = { @Sendable (outcome: String) in Counter(label: "deposits_total", dimensions: [("outcome", outcome)]) }
        for outcome in ["ok", "blocked", "error"] { deposits(outcome).increment(by: 0) }
        let blockedWait = Timer(label: "deposit_lock_wait_seconds", preferredDisplayUnit: .seconds)

        service.router.post("/transfers/:id") { _, _ -> Response in
            let id = "t" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let transfer: JSONValue = [
                "id": .string(id), "from": .number(Double(Int.random(in: 1...accounts))),
                "to": .number(Double(Int.random(in: 1...accounts))),
            ]
            let reply = try await coordinator.post("/transfers", route: "/transfers", json: transfer)
            return .json(reply.json, status: .init(code: reply.status))
        }

        service.router.post("/deposits/:id") { _, _ -> Response in
            let account = Int.random(in: 1...accounts)
            let entry = "d" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let start = ContinuousClock.now
            do {
                try await bankA.transaction { tx in
                    try await tx.query("SET LOCAL lock_timeout = \(unescaped: String(lockTimeout))")
                    try await tx.query("UPDATE accounts SET balance = balance + 1 WHERE id = \(account)")
                    try await tx.query("INSERT INTO ledger (entry_id, account, amount) VALUES (\(entry), \(account), 1)")
                }
                deposits("ok").increment()
                return .json(["account": .number(Double(account))])
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55P03" {
                // lock_not_available: the row is locked by someone who is not letting go.
                deposits("blocked").increment()
                blockedWait.recordInterval(since: start)
                return .jsonError("account \(account) is locked (waited \(lockTimeout) ms)", status: .serviceUnavailable)
            } catch {
                deposits("error").increment()
                throw error
            }
        }
    }
}

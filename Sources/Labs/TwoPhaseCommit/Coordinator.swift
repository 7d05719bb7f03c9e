import Foundation
import LabKit
import Metrics

/// The transfer coordinator: `POST /transfers {id, from, to}` runs one transfer under `PROTOCOL` and
/// answers its outcome. With `2pc-recovery` it also runs `RecoverySweep`.
///
///     POST /transfers {"id": "t1", "from": 3, "to": 17} → 200 {outcome: committed} | 409 {outcome: aborted|half_committed}
enum Coordinator {
    static let protocolKnob = Knob<TransferProtocol>.choice(
        "PROTOCOL", default: .independent,
        "how a transfer commits in two banks: `independent` (two commits), `2pc` (prepare both, then commit both; no log), "
            + "`2pc-recovery` (2pc + a durable decision log + a recovery sweep)")
    static let gapKnob = Knob.milliseconds(
        "COMMIT_GAP_MS", default: 250, in: 0...60_000, "the coordinator's step between the two phases (a round trip to the far bank)")
    static let lockTimeoutKnob = Knob.milliseconds(
        "LOCK_TIMEOUT_MS", default: 1_000, in: 1...60_000, "how long a bank's statement waits for a row lock before it fails")
    static let sweepKnob = Knob.milliseconds(
        "SWEEP_MS", default: 500, in: 50...60_000, "2pc-recovery: how often prepared transactions are looked for and resolved")
    static let knobs: [any LabKnob] = [protocolKnob, gapKnob, lockTimeoutKnob, sweepKnob] + LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        let choice = try service.knobs.read(protocolKnob)
        let bankA = try service.postgres(urlVariable: "BANK_A_URL", poolName: "bank-a")
        let bankB = try service.postgres(urlVariable: "BANK_B_URL", poolName: "bank-b")
        let log =
            choice == .twoPhaseWithRecovery
            ? DecisionLog(db: try service.postgres(urlVariable: "COORDINATOR_LOG_URL", poolName: "decision-log")) : nil
        let incarnation = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let executor = TransferExecutor(
            protocolChoice: choice, bankA: bankA, bankB: bankB, log: log, commitGap: try service.knobs.read(gapKnob),
            lockTimeoutMs: Int(try service.knobs.read(lockTimeoutKnob) / .milliseconds(1)), incarnation: incarnation)
        var recovery: RecoverySweep?
        if let log {
            // Recovery has connections of its own: transfers blocked on in-doubt locks must not starve it.
            let recoveryA = try service.postgres(urlVariable: "BANK_A_URL", poolName: "bank-a-recovery")
            let recoveryB = try service.postgres(urlVariable: "BANK_B_URL", poolName: "bank-b-recovery")
            recovery = RecoverySweep(
                banks: [("bank-a", recoveryA), ("bank-b", recoveryB)], log: log, incarnation: incarnation,
                interval: try service.knobs.read(sweepKnob), logger: service.context.logger)
            service.addService(recovery!)
        }
        let sweep = recovery
        let outcomes = { @Sendable (outcome: String) in Counter(label: "transfers_total", dimensions: [("outcome", outcome)]) }
        for outcome in ["committed", "aborted", "half_committed", "error"] { outcomes(outcome).increment(by: 0) }

        service.router.post("/transfers") { request, _ -> Response in
            // A restarted coordinator first resolves what its predecessor left in doubt, then takes new work.
            if let sweep, !sweep.hasRecovered {
                return .jsonError("recovering in-doubt transactions", status: .serviceUnavailable)
            }
            let body = try? await request.body.collect(upTo: 64 * 1024)
            let json = body.flatMap { try? JSONValue.parse($0.readableBytesView) } ?? .null
            guard let id = json["id"]?.stringValue, Transfer.isValidID(id),
                let from = json["from"]?.intValue, let to = json["to"]?.intValue
            else {
                return .jsonError("expected {\"id\": letters/digits/-, \"from\": account, \"to\": account}", status: .badRequest)
            }
            do {
                // A coordinator finishes what it started even if its caller hangs up: the transfer runs in
                // a task of its own, which the request's cancellation does not reach.
                let transfer = Transfer(id: id, from: from, to: to)
                let outcome = try await Task { try await executor.run(transfer) }.value
                outcomes(outcome.rawValue).increment()
                return .json(["outcome": .string(outcome.rawValue)], status: outcome == .committed ? .ok : .conflict)
            } catch {
                outcomes("error").increment()
                throw error
            }
        }
    }
}

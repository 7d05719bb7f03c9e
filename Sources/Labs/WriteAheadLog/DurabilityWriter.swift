import Foundation
import LabKit
import Logging
import Metrics
import NIOCore
import ServiceLifecycle
import Synchronization

/// The client whose log of acknowledgements is the truth. Each `POST /writes` (the load generator's
/// request) writes a new value to a key nobody is writing right now and records the store's answer.
/// `POST /audit` (the scenario calls it after the store was killed and started again) reads every
/// acknowledged key back and counts the acknowledged writes that are gone.
///
///     POST /writes → PUT store /kv/{key} → 201 {key, sequence} | 502
///     POST /audit  → POST store /kv/mget (every acknowledged key) → the counts below
///
/// Gauges, 0 until the first audit: `audit_lost_acknowledged_writes`, `audit_keys_losing_writes`,
/// `audit_wrong_values`, `audit_acknowledged_writes` (how many acknowledged writes were checked).
enum DurabilityWriter {
    static let keysKnob = Knob.wholeNumber("KEYS", default: 2_000, in: 1...1_000_000, "how many keys the writes spread over")
    static let valueBytesKnob = Knob.wholeNumber("VALUE_BYTES", default: 100, in: 16...65_536, "the size of each value")
    static let knobs: [any LabKnob] = [keysKnob, valueBytesKnob]

    static func build(_ service: LabService) async throws {
        let store = try service.context.peer("store", timeout: .seconds(5))
        let keyCount = try service.knobs.read(keysKnob)
        let log = AcknowledgementLog(valueBytes: try service.knobs.read(valueBytesKnob))

        let writes = { @Sendable (outcome: String) in Counter(label: "writer_writes_total", dimensions: [("outcome", outcome)]) }
        for outcome in ["acknowledged", "failed"] { writes(outcome).increment(by: 0) }
        let gauges = AuditGauges()
        let logger = service.context.logger

        // A fresh experiment: the log of acknowledgements starts empty, so does the store. The writer
        // is ready once the store has emptied itself.
        let fresh = FreshStart(store: store, logger: logger)
        service.addService(fresh)
        service.addReadinessCheck("store emptied") {
            guard fresh.done else { throw LabStartupError("waiting for the store to empty itself") }
        }

        service.router.post("/writes") { _, _ -> Response in
            guard fresh.done else { return .jsonError("the store has not been emptied yet", status: .serviceUnavailable) }
            var key = ""
            var sequence: UInt64?
            while sequence == nil {
                key = "k\(Int.random(in: 0..<keyCount))"
                sequence = log.begin(key)
            }
            guard let sequence else { return .jsonError("no key", status: .internalServerError) }
            do {
                let reply = try await store.send(
                    .PUT, "/kv/\(key)", route: "/kv/{key}", body: ByteBuffer(string: log.value(for: key, sequence: sequence)))
                guard reply.isSuccess else { throw PeerError.unavailable(peer: "store", reason: "HTTP \(reply.status)") }
                log.acknowledged(key, sequence)
                writes("acknowledged").increment()
                return .json(["key": .string(key), "sequence": .number(Double(sequence))], status: .created)
            } catch {
                log.failed(key, sequence)
                writes("failed").increment()
                return .jsonError("write \(key)#\(sequence): \(error)", status: .badGateway)
            }
        }

        service.router.post("/audit") { _, _ -> Response in
            try await waitUntilReady(store)
            var stored: [String: String] = [:]
            let keys = log.acknowledgedKeys
            for start in stride(from: 0, to: keys.count, by: 500) {
                let chunk = keys[start..<min(start + 500, keys.count)].map { JSONValue.string($0) }
                let reply = try await store.post("/kv/mget", route: "/kv/mget", json: .array(chunk))
                guard reply.isSuccess, case .object(let values) = reply.json else {
                    return .jsonError("mget: HTTP \(reply.status) \(reply.text)", status: .badGateway)
                }
                for case (let key, .string(let value)) in values { stored[key] = value }
            }
            let audit = log.audit(stored: stored)
            gauges.record(audit)
            logger.info(
                "audit",
                metadata: [
                    "acknowledged": "\(audit.acknowledgedWrites)", "lost": "\(audit.lostWrites)",
                    "keys_losing": "\(audit.keysLosingWrites)",
                    "wrong": "\(audit.wrongValues)",
                ])
            return .json([
                "keys": .number(Double(audit.keys)), "acknowledged_writes": .number(Double(audit.acknowledgedWrites)),
                "lost_acknowledged_writes": .number(Double(audit.lostWrites)),
                "keys_losing_writes": .number(Double(audit.keysLosingWrites)), "wrong_values": .number(Double(audit.wrongValues)),
            ])
        }
    }

    /// The store answers `/readyz` once its replay is done.
    static func waitUntilReady(_ store: PeerClient) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let reply = try? await store.get("/readyz", route: "/readyz", timeout: .seconds(1)), reply.isSuccess { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LabStartupError("the store did not become ready within 60 s")
    }
}

/// Empties the store once it is ready (`DELETE /kv`), in the background: the writer starts without
/// waiting for it, and says it is ready only once it is done.
final class FreshStart: Service, Sendable {
    let store: PeerClient
    let logger: Logger
    private let finished = Atomic(false)

    init(store: PeerClient, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    var done: Bool { finished.load(ordering: .acquiring) }

    func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                do {
                    try await DurabilityWriter.waitUntilReady(store)
                    let reply = try await store.send(.DELETE, "/kv", route: "/kv")
                    if reply.isSuccess {
                        finished.store(true, ordering: .releasing)
                        logger.info("the store is empty: a fresh experiment")
                        return
                    }
                    logger.warning("the store refused to empty itself: \(reply.status) \(reply.text)")
                } catch {
                    logger.warning("emptying the store: \(error)")
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        try? await gracefulShutdown()
    }
}

struct AuditGauges: Sendable {
    let lost = Gauge(label: "audit_lost_acknowledged_writes")
    let keysLosing = Gauge(label: "audit_keys_losing_writes")
    let wrong = Gauge(label: "audit_wrong_values")
    let checked = Gauge(label: "audit_acknowledged_writes")

    init() {
        record(AcknowledgementLog.Audit())
    }

    func record(_ audit: AcknowledgementLog.Audit) {
        lost.record(audit.lostWrites)
        keysLosing.record(audit.keysLosingWrites)
        wrong.record(audit.wrongValues)
        checked.record(audit.acknowledgedWrites)
    }
}

import Foundation
import LabKit
import Metrics
import NIOCore
import Synchronization

/// KEY IDEA: with N replicas, a write acknowledged by W of them and a read answered by R of them
/// overlap in at least one replica whenever R + W > N, so the read sees the newest acknowledged
/// version. With R + W <= N they may not overlap: the read can come from a replica the write has not
/// reached yet, a stale read. The price of the overlap: every operation waits for the slowest of
/// more replicas and costs more replica work, and fails when fewer than R (or W) replicas answer.
///
///     PUT /items/{id}  the coordinator (the single writer) gives the write the key's next version,
///                      sends it to W random replicas (another one for each that fails) and answers
///                      once W stored it; the other replicas get it PROPAGATION_DELAY_MS later.
///     GET /items/{id}  asks R random replicas (another one for each that fails) and answers the
///                      newest version among them; read repair writes it back to those behind.
///
/// The stale-read count is exact: a read remembers the newest version acknowledged to a writer when
/// it began, and is stale if it answers an older one.
enum QuorumCoordinator {
    static let readQuorumKnob = Knob.wholeNumber("READ_QUORUM", default: 1, in: 1...16, "R: replicas that must answer a read")
    static let writeQuorumKnob = Knob.wholeNumber(
        "WRITE_QUORUM", default: 1, in: 1...16, "W: replicas that must store a write before it is acknowledged")
    static let propagationDelayKnob = Knob.milliseconds(
        "PROPAGATION_DELAY_MS", default: 200, in: 0...60_000,
        "when the replicas outside the write quorum get the write, after the acknowledgement")
    static let readRepairKnob = Knob.flag("READ_REPAIR", default: true, "write the newest version back to the replicas a read found behind")
    static let knobs: [any LabKnob] = [readQuorumKnob, writeQuorumKnob, propagationDelayKnob, readRepairKnob]

    static func build(_ service: LabService) async throws {
        let replicas = try service.context.peers("replica", timeout: .seconds(5))
        let r = try service.knobs.read(readQuorumKnob)
        let w = try service.knobs.read(writeQuorumKnob)
        guard r <= replicas.count, w <= replicas.count else {
            throw LabStartupError("READ_QUORUM=\(r) and WRITE_QUORUM=\(w) cannot exceed the \(replicas.count) replicas")
        }
        let cluster = QuorumCluster(
            replicas: replicas, propagationDelay: try service.knobs.read(propagationDelayKnob),
            readRepair: try service.knobs.read(readRepairKnob))
        let versions = QuorumVersions()
        let metrics = QuorumMetrics(n: replicas.count, r: r, w: w)

        service.router.put("/items/:id") { request, context -> Response in
            let key = "item-\(context.parameters.get("id") ?? "")"
            let body = try await request.body.collect(upTo: 4_096)
            let version = versions.next(key)
            let value = body.readableBytes > 0 ? String(buffer: body) : "v\(version)"

            let outcome = await QuorumCall.gather(needed: w, order: cluster.randomOrder()) { replica in
                await cluster.write(replica, key: key, version: version, value: value, metrics: metrics)
            }
            guard outcome.answers.count == w else {
                metrics.quorumFailed("write")
                return .jsonError("quorum not reached: \(outcome.answers.count) of W=\(w) replicas stored it", status: .serviceUnavailable)
            }
            // Acknowledged: from now on a read must see this version (or a newer one) to be fresh.
            versions.acknowledge(key, version)
            metrics.writes.increment()
            cluster.propagateLater(key: key, version: version, value: value, except: Set(outcome.answers.map(\.replica)), metrics: metrics)
            return .json(["key": .string(key), "version": .number(Double(version)), "acks": .number(Double(w))])
        }

        service.router.get("/items/:id") { _, context -> Response in
            let key = "item-\(context.parameters.get("id") ?? "")"
            let mustSee = versions.acknowledged(key)

            let outcome = await QuorumCall.gather(needed: r, order: cluster.randomOrder()) { replica in
                await cluster.read(replica, key: key, metrics: metrics)
            }
            guard outcome.answers.count == r, let newest = outcome.answers.map(\.answer).max(by: { $0.version < $1.version }) else {
                metrics.quorumFailed("read")
                return .jsonError("quorum not reached: \(outcome.answers.count) of R=\(r) replicas answered", status: .serviceUnavailable)
            }
            let stale = newest.version < mustSee
            metrics.read(stale: stale)
            let behind = outcome.answers.filter { $0.answer.version < newest.version }.map(\.replica)
            cluster.repair(behind, key: key, newest: newest, metrics: metrics)
            return .json([
                "key": .string(key), "version": .number(Double(newest.version)), "value": .string(newest.value),
                "stale": .bool(stale), "newest_acknowledged": .number(Double(mustSee)),
            ])
        }
    }
}

/// The single writer's versions: the next one per key, and the newest one acknowledged per key.
final class QuorumVersions: Sendable {
    private let state = Mutex((issued: [String: Int](), acknowledged: [String: Int]()))

    func next(_ key: String) -> Int {
        state.withLock {
            $0.issued[key, default: 0] += 1
            return $0.issued[key]!
        }
    }

    func acknowledge(_ key: String, _ version: Int) {
        state.withLock { $0.acknowledged[key] = max($0.acknowledged[key] ?? 0, version) }
    }

    func acknowledged(_ key: String) -> Int { state.withLock { $0.acknowledged[key] ?? 0 } }
}

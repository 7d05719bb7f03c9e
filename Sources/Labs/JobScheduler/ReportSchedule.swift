import Foundation
import LabKit
import Logging
import Metrics
import ServiceLifecycle

/// The recurring job: every `REPORT_EVERY_MS` a `report` job is enqueued for that schedule slot.
/// `every-replica`: each worker process runs the schedule — with three replicas, every report runs
/// three times. `elected`: only the holder of an etcd leader lease (`EtcdLeaderLease`, key
/// `/jobs/scheduler`) enqueues; if it dies, its lease expires and another worker takes over.
struct ReportSchedule: Service {
    enum Mode: String, Sendable, CaseIterable {
        case everyReplica = "every-replica"
        case elected
    }

    static let modeKnob = Knob<Mode>.choice(
        "SCHEDULER", default: .everyReplica,
        "who enqueues the recurring report: `every-replica` (each worker) or `elected` (the holder of an etcd lease)")
    static let everyKnob = Knob.milliseconds("REPORT_EVERY_MS", default: 1_000, in: 100...3_600_000, "how often the report runs")
    static let ttlKnob = Knob.milliseconds(
        "LEADER_TTL_MS", default: 2_000, in: 1_000...60_000, "elected: the scheduler's lease in etcd (whole seconds)")
    static let knobs: [any LabKnob] = [modeKnob, everyKnob, ttlKnob]

    let db: LabPostgres
    let every: Duration
    let leader: EtcdLeaderLease?

    init(service: LabService, db: LabPostgres, identity: String) throws {
        self.db = db
        self.every = try service.knobs.read(Self.everyKnob)
        switch try service.knobs.read(Self.modeKnob) {
        case .everyReplica:
            leader = nil
        case .elected:
            guard let url = service.context.environment["ETCD_URL"], !url.isEmpty else {
                throw LabStartupError("SCHEDULER=elected needs ETCD_URL (an etcd in the lab's infrastructure)")
            }
            leader = EtcdLeaderLease(
                etcd: EtcdClient(baseURL: url), key: "/jobs/scheduler", identity: identity, ttl: try service.knobs.read(Self.ttlKnob))
        }
    }

    func run() async throws {
        let enqueued = Counter(label: "report_runs_enqueued_total")
        enqueued.increment(by: 0)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                if let leader { group.addTask { await leader.campaign() } }
                group.addTask { await schedule(enqueued) }
            }
        }
    }

    /// At each slot boundary, enqueue the slot's report (if this process is the scheduler).
    private func schedule(_ enqueued: Counter) async {
        let everyMs = Int64(every / .milliseconds(1))
        func currentSlot() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) / everyMs }
        var lastSlot = currentSlot()
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            let slot = currentSlot()
            guard slot > lastSlot else { continue }
            lastSlot = slot
            if let leader, !leader.isLeader { continue }
            if (try? await db.query("INSERT INTO jobs (kind, slot) VALUES ('report', \(slot))")) != nil { enqueued.increment() }
        }
    }
}

import Foundation
import LabKit
import Logging
import Metrics
import ServiceLifecycle

/// A worker process: `SLOTS` loops that each claim a job, run it for `JOB_MS`, and complete it; plus
/// the recurring report schedule (`ReportSchedule`). Killed mid-run, it leaves its claimed jobs behind.
enum JobWorker {
    static let claimKnob = Knob<ClaimStrategy>.choice(
        "CLAIM", default: .naive,
        "how a job is claimed: `naive` (select, then update; no lease) or `skip-locked` (FOR UPDATE SKIP LOCKED with a lease, fenced completion)"
    )
    static let leaseKnob = Knob.milliseconds(
        "LEASE_MS", default: 2_000, in: 100...600_000, "skip-locked: how long a claim is visible to its worker only")
    static let slotsKnob = Knob.wholeNumber("SLOTS", default: 4, in: 1...64, "jobs a worker runs at once")
    static let jobKnob = Knob.milliseconds("JOB_MS", default: 200, in: 0...60_000, "how long one job runs")
    static let pollKnob = Knob.milliseconds("POLL_MS", default: 20, in: 1...10_000, "how long an idle slot waits before looking again")
    static let knobs: [any LabKnob] = [claimKnob, leaseKnob, slotsKnob, jobKnob, pollKnob] + ReportSchedule.knobs + LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        guard let db = try service.postgres() else { throw LabStartupError("the worker needs DATABASE_URL") }
        let name = service.context.environment["LAB_INSTANCE"] ?? service.context.serviceName
        let claims = JobClaims(strategy: try service.knobs.read(claimKnob), db: db, worker: name, lease: try service.knobs.read(leaseKnob))
        service.addService(
            WorkerSlots(
                claims: claims, slots: try service.knobs.read(slotsKnob), jobTime: try service.knobs.read(jobKnob),
                poll: try service.knobs.read(pollKnob), logger: service.context.logger))
        service.addService(try ReportSchedule(service: service, db: db, identity: name))
    }
}

struct WorkerSlots: Service {
    let claims: JobClaims
    let slots: Int
    let jobTime: Duration
    let poll: Duration
    let logger: Logger

    func run() async throws {
        let runs = { @Sendable (outcome: String) in Counter(label: "worker_jobs_total", dimensions: [("outcome", outcome)]) }
        for outcome in ["completed", "fenced", "error"] { runs(outcome).increment(by: 0) }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<slots {
                    group.addTask {
                        while !Task.isCancelled {
                            do {
                                guard let job = try await claims.claim() else {
                                    try? await Task.sleep(for: poll)
                                    continue
                                }
                                try await Task.sleep(for: jobTime) // the job's work
                                runs(try await claims.complete(job) ? "completed" : "fenced").increment()
                            } catch is CancellationError {
                                return
                            } catch {
                                runs("error").increment()
                                logger.warning("job slot: \(error)")
                                try? await Task.sleep(for: poll)
                            }
                        }
                    }
                }
            }
        }
    }
}

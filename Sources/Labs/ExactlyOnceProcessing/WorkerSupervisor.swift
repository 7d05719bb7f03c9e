import Foundation
import LabKit
import ServiceLifecycle
import Synchronization

extension ExactlyOnceProcessingLab {
    /// The `consumer` service: a process supervisor, like systemd's `Restart=always` or a container
    /// runtime. It runs WORKERS worker processes (`labsvc <lab> consumer-worker`, the same binary)
    /// and, when one dies, starts a new one at once. Each death by SIGKILL is counted as a crash:
    /// `consumer_worker_crashes_total`; `consumer_worker_starts_total` counts the processes started.
    /// `GET /workers` lists the running ones.
    enum WorkerSupervisor {
        static let workersKnob = Knob.wholeNumber(
            "WORKERS", default: 2, in: 1...8, "consumer worker processes (the supervisor starts a new one whenever one dies)")
        static let knobs: [any LabKnob] = [workersKnob] + ConsumerWorker.knobs

        static func build(_ service: LabService) async throws {
            guard let db = try service.postgres() else { throw LabStartupError("consumer needs DATABASE_URL") }
            // The workers' knobs are this service's too: a bad value stops the lab at start, here.
            let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            var environment = service.context.environment
            environment["PORT"] = "0" // each worker listens somewhere; nobody needs to reach it
            let lab = environment["LAB_ID"].flatMap { $0.isEmpty ? nil : $0 } ?? "week38"
            let workers = WorkerProcesses(
                count: try service.knobs.read(workersKnob), executable: executable, arguments: [lab, "consumer-worker"],
                environment: environment, logger: service.context.logger)
            service.addService(workers)
            // Ready once every worker process has started consuming.
            service.addReadinessCheck("workers") {
                let pids = workers.runningPIDs
                let rows = try await db.query("SELECT count(DISTINCT worker_pid) FROM worker_starts WHERE worker_pid = ANY(\(pids))")
                let started = try rows.first?.decode(Int.self) ?? 0
                guard !pids.isEmpty, started == pids.count else {
                    throw LabStartupError("\(started) of \(pids.count) worker processes consuming")
                }
            }
            service.router.get("/workers") { _, _ -> JSONValue in
                [
                    "running": .array(workers.runningPIDs.map { .number(Double($0)) }),
                    "started": .number(Double(workers.counts.started)), "crashed": .number(Double(workers.counts.crashed)),
                ]
            }
        }
    }

    /// Keeps `count` child processes running; see `WorkerSupervisor`.
    final class WorkerProcesses: Service, Sendable {
        let count: Int
        let executable: String
        let arguments: [String]
        let environment: [String: String]
        let logger: Logger
        private let running = Mutex<[Int: Int32]>([:]) // slot → pid
        private let tally = Mutex<(started: Int, crashed: Int)>((0, 0))
        private let startsCounter = Counter(label: "consumer_worker_starts_total")
        private let crashCounter = Counter(label: "consumer_worker_crashes_total")
        private let exitCounter = Counter(label: "consumer_worker_exits_total")

        init(count: Int, executable: String, arguments: [String], environment: [String: String], logger: Logger) {
            self.count = count
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
            self.logger = logger
            startsCounter.increment(by: 0)
            crashCounter.increment(by: 0)
            exitCounter.increment(by: 0)
        }

        var runningPIDs: [Int] { running.withLock { $0.values.sorted().map(Int.init) } }
        var counts: (started: Int, crashed: Int) { tally.withLock { $0 } }

        func run() async throws {
            await withDiscardingTaskGroup { group in
                for slot in 0..<count {
                    group.addTask { await self.keepRunning(slot: slot) }
                }
            }
        }

        /// One slot: start a worker, wait for it to end, start the next — until the service stops.
        private func keepRunning(slot: Int) async {
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    let ended: WorkerExit
                    do {
                        ended = try await self.runOnce(slot: slot)
                    } catch is CancellationError {
                        return
                    } catch {
                        self.logger.error("could not start a worker process: \(error)")
                        try? await Task.sleep(for: .seconds(1))
                        continue
                    }
                    if Task.isCancelled { return }
                    if ended.signaled && ended.status == SIGKILL {
                        self.crashCounter.increment()
                        self.tally.withLock { $0.crashed += 1 }
                        self.logger.info("worker \(slot) was killed (SIGKILL): starting a new one")
                    } else {
                        // Not a crash we injected (a bad setting, a broken connection): do not spin.
                        self.exitCounter.increment()
                        let how = ended.signaled ? "was killed by signal \(ended.status)" : "exited with status \(ended.status)"
                        self.logger.warning("worker \(slot) \(how): starting a new one in 1 s")
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
            }
        }

        /// Starts one worker process and waits until it ends. Cancelled (the service stops), it sends
        /// the worker SIGTERM, and SIGKILL 3 s later; a worker also stops when it sees its parent gone.
        private func runOnce(slot: Int) async throws -> WorkerExit {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.environment = environment
            let (ended, done) = AsyncStream.makeStream(of: WorkerExit.self)
            process.terminationHandler = { finished in
                done.yield(WorkerExit(signaled: finished.terminationReason == .uncaughtSignal, status: finished.terminationStatus))
                done.finish()
            }
            try process.run()
            let pid = process.processIdentifier
            running.withLock { $0[slot] = pid }
            tally.withLock { $0.started += 1 }
            startsCounter.increment()
            defer { running.withLock { $0[slot] = nil } }
            let exit = await withTaskCancellationHandler {
                for await status in ended { return status }
                return WorkerExit(signaled: false, status: -1)
            } onCancel: {
                kill(pid, SIGTERM)
                Task {
                    try? await Task.sleep(for: .seconds(3))
                    kill(pid, SIGKILL) // still there after 3 s
                }
            }
            withExtendedLifetime(process) {} // Foundation reports the exit of a Process that is still referenced
            return exit
        }
    }

    /// How a worker process ended: killed by signal `status`, or exited with status `status`.
    struct WorkerExit: Sendable {
        let signaled: Bool
        let status: Int32
    }
}

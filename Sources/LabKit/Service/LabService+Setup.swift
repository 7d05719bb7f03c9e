import Logging
import Metrics
import ServiceLifecycle
import Synchronization

extension LabService {
    /// Work the service must finish before it takes traffic — loading a million rows into Redis,
    /// building a filter from a table — run in the background once the service starts, so `/metrics`
    /// and `/healthz` answer meanwhile. `/readyz` answers 503 naming the step and its progress until it
    /// is done (labctl starts the scenario only when every service is ready); if it fails, the service
    /// stops with the error in its log.
    /// How long it took is the gauge `lab_setup_duration_seconds{step}` and a log line.
    ///
    ///     service.addSetup("leaderboard") { progress in
    ///         for batch in 0..<1000 { ...; progress.report("\(batch) of 1000 batches") }
    ///     }
    public func addSetup(_ step: String, _ work: @escaping @Sendable (SetupProgress) async throws -> Void) {
        let progress = SetupProgress(step: step)
        addReadinessCheck("setup \(step)") { try progress.checkDone() }
        addService(SetupService(progress: progress, work: work, logger: context.logger))
    }
}

/// Where a setup step is: what it last reported, done, or failed.
public final class SetupProgress: Sendable {
    enum State: Sendable {
        case running(String)
        case done
        case failed(String)
    }

    public let step: String
    let state = Mutex(State.running("starting"))
    private let duration: Gauge

    init(step: String) {
        self.step = step
        duration = Gauge(label: "lab_setup_duration_seconds", dimensions: [("step", step)])
    }

    /// What `/readyz` shows while the step runs ("day 12 of 30").
    public func report(_ status: String) {
        state.withLock { if case .running = $0 { $0 = .running(status) } }
    }

    func finished(after elapsed: Duration) {
        state.withLock { $0 = .done }
        duration.record(elapsed.inSeconds)
    }

    func failed(_ error: any Error) {
        state.withLock { $0 = .failed("\(error)") }
    }

    struct NotDone: Error, CustomStringConvertible {
        let description: String
    }

    func checkDone() throws {
        switch state.withLock({ $0 }) {
        case .done: return
        case .running(let status): throw NotDone(description: "\(step): \(status)")
        case .failed(let error): throw NotDone(description: "\(step) failed: \(error)")
        }
    }
}

/// Runs one setup step next to the server, then waits for shutdown like any other service.
struct SetupService: Service {
    let progress: SetupProgress
    let work: @Sendable (SetupProgress) async throws -> Void
    let logger: Logger

    func run() async throws {
        let start = ContinuousClock.now
        do {
            try await cancelWhenGracefulShutdown { try await work(progress) }
            let elapsed = ContinuousClock.now - start
            progress.finished(after: elapsed)
            logger.info("setup done", metadata: ["step": "\(progress.step)", "seconds": "\(elapsed.inSeconds)"])
        } catch is CancellationError {
            return
        } catch {
            // The service stops: labctl sees it exit and shows this line from its log.
            progress.failed(error)
            logger.error("setup failed", metadata: ["step": "\(progress.step)", "error": "\(error)"])
            throw error
        }
        try? await gracefulShutdown()
    }
}

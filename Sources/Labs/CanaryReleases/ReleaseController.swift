import Foundation
import LabKit
import Logging
import Synchronization

/// KEY IDEA: a canary limits how many users a bad release can hurt, and only if something watches
/// it and acts. The controller gives the new release a small share of the traffic (5 %), measures
/// its error rate from the balancer's own per-server counters over a window, and compares it with
/// the error budget the SLO allows: a burn rate. It decides nothing until the window holds a
/// minimum number of canary requests (at 5 % of traffic a handful of requests says nothing), then
/// rolls back at once when the canary burns the budget too fast, or promotes it step by step while
/// it stays healthy. A big-bang release hands the bad release every request until a human notices.
final class ReleaseController: Sendable {
    enum State: Equatable, Sendable {
        case idle
        case canary(percent: Int)
        case promoted
        case rolledBack(afterSeconds: Double)

        var gaugeValue: Double {
            switch self {
            case .idle: 0
            case .canary: 1
            case .promoted: 2
            case .rolledBack: 3
            }
        }

        var json: JSONValue {
            switch self {
            case .idle: ["state": "idle"]
            case .canary(let percent): ["state": "canary", "percent": .number(Double(percent))]
            case .promoted: ["state": "promoted"]
            case .rolledBack(let seconds): ["state": "rolled_back", "after_seconds": .number(seconds)]
            }
        }
    }

    let settings: ReleaseSettings
    let balancer: HAProxyRuntimeAPI
    let logger: Logger
    private let state = Mutex(State.idle)
    private let rollout = Mutex<Task<Void, Never>?>(nil)
    private let metrics = ReleaseMetrics()

    init(settings: ReleaseSettings, logger: Logger) throws {
        self.settings = settings
        self.balancer = try HAProxyRuntimeAPI(address: settings.runtimeAPI)
        self.logger = logger
    }

    var current: State { state.withLock { $0 } }

    /// Starts the rollout; false if one has already started.
    func release() -> Bool {
        let started = state.withLock { state -> Bool in
            guard state == .idle else { return false }
            state = .canary(percent: 0)
            return true
        }
        guard started else { return false }
        rollout.withLock { $0 = Task { await self.run() } }
        return true
    }

    /// Watches the canary's counters for as long as the service runs (before a release too, so
    /// the panels show what each release really does, not a value frozen at the last decision).
    func monitor() async {
        var window = CanaryWindow(length: settings.window)
        while !Task.isCancelled {
            if let counts = try? await canaryCounts() {
                window.add(counts)
                metrics.show(window.requests, window.errors)
            }
            try? await Task.sleep(for: settings.checkInterval)
        }
    }

    private func run() async {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            guard settings.strategy == .canary else {
                try await setCanaryShare(100)
                set(.promoted)
                logger.info("big-bang release: every request goes to \(settings.canaryRole)")
                return
            }
            for percent in settings.steps {
                try await setCanaryShare(percent)
                set(.canary(percent: percent))
                logger.info("canary at \(percent) %")
                guard percent < 100 else { break }
                let stepStart = clock.now
                var window = CanaryWindow(length: settings.window)
                window.add(try await canaryCounts()) // the step's baseline
                while true {
                    try await Task.sleep(for: settings.checkInterval)
                    window.add(try await canaryCounts())
                    let requests = window.requests
                    guard requests >= settings.minimumSamples else {
                        metrics.decided(.waitForSamples)
                        continue
                    }
                    let burnRate = (Double(window.errors) / Double(requests)) / (1 - settings.objective)
                    metrics.burnRate.record(burnRate)
                    if burnRate > settings.maximumBurnRate {
                        try await setCanaryShare(0)
                        let seconds = Self.seconds(clock.now - start)
                        metrics.rolledBack(afterSeconds: seconds, samples: requests)
                        set(.rolledBack(afterSeconds: seconds))
                        logger.warning(
                            "rolled back after \(seconds) s: \(window.errors) of \(requests) canary requests failed (burn rate \(burnRate))"
                        )
                        return
                    }
                    if clock.now - stepStart >= settings.stepHold {
                        metrics.decided(.promote, samples: requests)
                        break
                    }
                    metrics.decided(.hold)
                }
            }
            set(.promoted)
        } catch {
            logger.error("release stopped: \(error)")
        }
    }

    private func set(_ next: State) {
        state.withLock { $0 = next }
        metrics.state.record(next.gaugeValue)
    }

    /// The canary's share of requests in percent: each server's weight makes it so, whatever the
    /// number of replicas of each release.
    func setCanaryShare(_ percent: Int) async throws {
        let servers = try await balancer.serverStats()
        let stable = servers.filter { Self.belongs($0.server, to: settings.stableRole) }
        let canary = servers.filter { Self.belongs($0.server, to: settings.canaryRole) }
        guard !stable.isEmpty, !canary.isEmpty else {
            throw HAProxyRuntimeError(command: "show stat", answer: "no servers of \(settings.stableRole) and \(settings.canaryRole)")
        }
        let canaryWeight =
            switch percent {
            case 0: 0
            case 100: 100
            default: min(256, max(1, Int((Double(percent) * Double(stable.count) / Double(canary.count)).rounded())))
            }
        let stableWeight = percent == 100 ? 0 : 100 - percent
        // Order matters at the edges: never leave both releases at weight 0 together.
        let first = percent == 0 ? stable : canary
        for server in first + (percent == 0 ? canary : stable) {
            let weight = Self.belongs(server.server, to: settings.canaryRole) ? canaryWeight : stableWeight
            try await balancer.setWeight(backend: server.backend, server: server.server, weight: weight)
        }
        metrics.weight.record(Double(percent))
    }

    /// Requests the canary answered so far, and how many of them were 5xx.
    func canaryCounts() async throws -> (requests: Int, errors: Int) {
        let canary = try await balancer.serverStats().filter { Self.belongs($0.server, to: settings.canaryRole) }
        return canary.reduce((0, 0)) { sum, server in
            (sum.0 + server.responses2xx + server.responses4xx + server.responses5xx, sum.1 + server.responses5xx)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// `v2` and `v2-1`, `v2-2` (the balancer names servers after the instances of a role).
    static func belongs(_ server: String, to role: String) -> Bool {
        server == role || (server.hasPrefix(role + "-") && Int(server.dropFirst(role.count + 1)) != nil)
    }
}

/// The canary's requests and errors over the last `length` (counter snapshots, oldest first).
struct CanaryWindow {
    let length: Duration
    private var snapshots: [(at: ContinuousClock.Instant, requests: Int, errors: Int)] = []

    init(length: Duration) { self.length = length }

    mutating func add(_ counts: (requests: Int, errors: Int)) {
        let now = ContinuousClock.now
        snapshots.append((now, counts.requests, counts.errors))
        // Keep the newest snapshot at or before the window's start: it is the baseline.
        while snapshots.count > 2, snapshots[1].at <= now - length { snapshots.removeFirst() }
    }

    var requests: Int { (snapshots.last?.requests ?? 0) - (snapshots.first?.requests ?? 0) }
    var errors: Int { (snapshots.last?.errors ?? 0) - (snapshots.first?.errors ?? 0) }
}

import LabKit
import Metrics
import Synchronization

/// Where a caller's decision came from (`ratelimit_caller_decisions_total{source}`).
enum DecisionSource: String, CaseIterable, Sendable {
    /// The limiter service answered (its shared count in Redis decided).
    case limiter
    /// The limiter did not answer in time, or is being skipped; ON_LIMITER_DOWN decided.
    case failOpen = "fail-open"
    case failClosed = "fail-closed"
    case localBucket = "local-bucket"
}

struct CallerDecision: Sendable {
    var admitted: Bool
    var source: DecisionSource
    /// The limiter's limit for the client, when it answered.
    var limit: Int?
    var retryAfterMilliseconds: Int?
}

/// One caller's way of asking the limiter service: the call with LIMITER_TIMEOUT_MS, the bypass after
/// repeated failures, and ON_LIMITER_DOWN when there is no answer.
///
/// Metrics: `ratelimit_caller_decisions_total{client, source, decision}` (the first 16 clients by name,
/// the rest as `other`), `ratelimit_limiter_failures_total{reason="timeout|unavailable|answer"}`,
/// `ratelimit_limiter_skipped` (1 while requests do not wait for the limiter), the histogram
/// `ratelimit_decision_duration_seconds` (what deciding added to each request, whoever decided); the
/// calls themselves are `http_client_request_duration_seconds` (LabKit's `PeerClient`).
final class LimiterCheck: Sendable {
    let settings: CallerSettings
    private let limiter: PeerClient
    private let fallback: LocalFallbackBuckets
    private let bypass: LimiterBypass
    private let labels = ClientLabels(maximum: 16)
    /// What deciding added to the request: the limiter's round trip, its timeout, or a local decision.
    private let decisionTime = Timer(label: "ratelimit_decision_duration_seconds", preferredDisplayUnit: .seconds)

    init(settings: CallerSettings, limiter: PeerClient) {
        self.settings = settings
        self.limiter = limiter
        fallback = LocalFallbackBuckets(nodes: settings.nodes, unknownClientLimit: settings.unknownClientLimit)
        let skipped = Gauge(label: "ratelimit_limiter_skipped")
        skipped.record(0)
        bypass = LimiterBypass(
            failuresToSkip: settings.skipAfterFailures, probeEvery: settings.probeEvery,
            probe: { [timeout = settings.limiterTimeout] in
                (try? await limiter.get("/readyz", route: "/readyz", timeout: timeout))?.isSuccess ?? false
            },
            onChange: { skipped.record($0 ? 1 : 0) })
        for reason in ["timeout", "unavailable", "answer"] { Self.failures(reason).increment(by: 0) }
    }

    func decide(_ client: String) async -> CallerDecision {
        let start = ContinuousClock.now
        let decision = await decideUncounted(client)
        decisionTime.recordInterval(since: start)
        let label = labels.label(for: client) { label in
            for source in DecisionSource.allCases {
                for outcome in ["admitted", "refused"] { Self.decisions(label, source, outcome).increment(by: 0) }
            }
        }
        Self.decisions(label, decision.source, decision.admitted ? "admitted" : "refused").increment()
        return decision
    }

    private func decideUncounted(_ client: String) async -> CallerDecision {
        if bypass.shouldSkip() { return whenLimiterDown(client) }
        do {
            let reply = try await limiter.post("/v1/check/\(client)", route: "/v1/check/{client}", timeout: settings.limiterTimeout)
            guard reply.status == 200, let allowed = reply.json["allowed"]?.boolValue, let limit = reply.json["limit"]?.intValue else {
                throw LimiterAnswerError(status: reply.status)
            }
            bypass.recordSuccess()
            fallback.learn(client, limit: limit)
            return CallerDecision(
                admitted: allowed, source: .limiter, limit: limit, retryAfterMilliseconds: reply.json["retry_after_ms"]?.intValue)
        } catch {
            Self.failures(Self.reason(error)).increment()
            bypass.recordFailure()
            return whenLimiterDown(client)
        }
    }

    private func whenLimiterDown(_ client: String) -> CallerDecision {
        switch settings.onLimiterDown {
        case .failOpen: CallerDecision(admitted: true, source: .failOpen)
        case .failClosed: CallerDecision(admitted: false, source: .failClosed)
        case .localBucket: CallerDecision(admitted: fallback.tryAcquire(client), source: .localBucket)
        }
    }

    private struct LimiterAnswerError: Error { var status: Int }

    private static func reason(_ error: any Error) -> String {
        switch error {
        case PeerError.timeout, PeerError.deadlineExceeded: "timeout"
        case is LimiterAnswerError: "answer"
        default: "unavailable"
        }
    }

    private static func failures(_ reason: String) -> Counter {
        Counter(label: "ratelimit_limiter_failures_total", dimensions: [("reason", reason)])
    }

    private static func decisions(_ client: String, _ source: DecisionSource, _ outcome: String) -> Counter {
        Counter(
            label: "ratelimit_caller_decisions_total", dimensions: [("client", client), ("source", source.rawValue), ("decision", outcome)])
    }
}

/// Client ids as metric labels: the first `maximum` by name, every later one as `other`. `prepare`
/// runs once per label, when it is first used (to make its series at 0).
final class ClientLabels: Sendable {
    let maximum: Int
    private let state = Mutex<Set<String>>([])

    init(maximum: Int) { self.maximum = maximum }

    func label(for client: String, prepare: (String) -> Void) -> String {
        let (label, isNew) = state.withLock { names -> (String, Bool) in
            if names.contains(client) { return (client, false) }
            let label = names.count < maximum ? client : "other"
            return (label, names.insert(label).inserted)
        }
        if isNew { prepare(label) }
        return label
    }
}

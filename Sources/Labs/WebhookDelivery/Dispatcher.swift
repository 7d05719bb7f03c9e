import Foundation
import LabKit
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Takes due deliveries from the queue (at most `MAX_IN_FLIGHT` at once), asks the endpoint's breaker
/// (if any) for permission, signs and sends each one, and files the outcome:
///
/// | outcome                    | breaker        | queue                                              |
/// |----------------------------|----------------|----------------------------------------------------|
/// | 2xx                        | success        | delivered                                          |
/// | 4xx (the receiver refused) | success (it is up) | given up at once: the event itself is bad      |
/// | 5xx, timeout, refused      | failure        | retry after the backoff, or given up at MAX_ATTEMPTS |
/// | breaker open / probe busy  | —              | deferred (not an attempt): `WebhookSettings.deferral` |
///
/// `webhook_delivery_attempts_total{endpoint, outcome=delivered|rejected|failed}`,
/// `webhook_breaker_deferrals_total{endpoint}`, `webhook_given_up_total{endpoint}`,
/// `webhook_pending{endpoint, queue}` (deliveries waiting in the queue, every 500 ms).
struct Dispatcher: Service {
    let settings: WebhookSettings
    let queue: any DeliveryQueue
    let endpoints: [String: PeerClient]
    let signature: WebhookSignature
    let logger: Logger
    let breakers: [String: CircuitBreaker<ContinuousClock>]

    init(settings: WebhookSettings, queue: any DeliveryQueue, endpoints: [String: PeerClient], signature: WebhookSignature, logger: Logger)
    {
        self.settings = settings
        self.queue = queue
        self.endpoints = endpoints
        self.signature = signature
        self.logger = logger
        var breakers: [String: CircuitBreaker<ContinuousClock>] = [:]
        if settings.breaker {
            for name in endpoints.keys {
                breakers[name] = CircuitBreaker(
                    name: name,
                    configuration: CircuitBreakerConfiguration(
                        // Trips on a dead endpoint (100 % failures) after 10 calls, not on a flaky one:
                        // at 50 % over 10 calls, a 30 %-failing endpoint opened it every few seconds.
                        slidingWindow: .countBased(size: 20), minimumNumberOfCalls: 10,
                        failureRateThreshold: settings.breakerFailurePercent,
                        waitDurationInOpenState: settings.breakerOpen, permittedNumberOfCallsInHalfOpenState: 1),
                    onTransition: { from, to in logger.info("breaker \(name): \(from) → \(to)") })
            }
        }
        self.breakers = breakers
    }

    func run() async throws {
        for name in endpoints.keys {
            for outcome in ["delivered", "rejected", "failed"] { attempts(name, outcome).increment(by: 0) }
            deferrals(name).increment(by: 0)
            givenUp(name).increment(by: 0)
        }
        let pending = endpoints.keys.reduce(into: [String: Gauge]()) { gauges, name in
            gauges[name] = Gauge(label: "webhook_pending", dimensions: [("endpoint", name), ("queue", settings.queue.rawValue)])
            gauges[name]?.record(0)
        }
        let inFlight = InFlightCount()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await reportPending(pending) }
                while !Task.isCancelled {
                    let free = settings.maxInFlight - inFlight.value.load(ordering: .relaxed)
                    let batch: [PendingDelivery]
                    do {
                        batch = free > 0 ? try await queue.claimDue(limit: free) : []
                    } catch {
                        logger.warning("claiming due deliveries: \(error)")
                        batch = []
                    }
                    if batch.isEmpty {
                        try? await Task.sleep(for: settings.poll)
                        continue
                    }
                    for delivery in batch {
                        inFlight.value.add(1, ordering: .relaxed)
                        group.addTask {
                            await deliver(delivery)
                            inFlight.value.subtract(1, ordering: .relaxed)
                        }
                    }
                }
            }
        }
    }

    private func reportPending(_ gauges: [String: Gauge]) async {
        while !Task.isCancelled {
            if let counts = try? await queue.pendingByEndpoint() {
                for (name, gauge) in gauges { gauge.record(counts[name] ?? 0) }
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    private enum Outcome {
        case delivered
        case rejected(String)
        case failed(String)
    }

    private func deliver(_ delivery: PendingDelivery) async {
        do {
            let breaker = breakers[delivery.endpoint]
            var permit: CircuitBreaker<ContinuousClock>.Permit?
            if let breaker {
                do {
                    permit = try breaker.acquirePermission()
                } catch {
                    // Not an attempt: the endpoint is known to be down, or its one probe is under way.
                    deferrals(delivery.endpoint).increment()
                    try await queue.retry(
                        delivery, after: settings.deferral(retryAfter: error.retryAfter), attempted: false, error: "breaker \(error.state)")
                    return
                }
            }
            let outcome = await send(delivery)
            switch outcome {
            case .delivered:
                attempts(delivery.endpoint, "delivered").increment()
                if let breaker, let permit { breaker.recordSuccess(permit) }
                try await queue.delivered(delivery)
            case .rejected(let reason):
                attempts(delivery.endpoint, "rejected").increment()
                if let breaker, let permit { breaker.recordSuccess(permit) }
                givenUp(delivery.endpoint).increment()
                logger.warning("event \(delivery.id) refused by \(delivery.endpoint): \(reason)")
                try await queue.giveUp(delivery, reason: "refused: \(reason)")
            case .failed(let reason):
                attempts(delivery.endpoint, "failed").increment()
                if let breaker, let permit { breaker.recordFailure(permit) }
                let made = delivery.attempts + 1
                if made >= settings.maxAttempts {
                    givenUp(delivery.endpoint).increment()
                    try await queue.giveUp(delivery, reason: "\(made) attempts failed; last: \(reason)")
                } else {
                    try await queue.retry(delivery, after: settings.retryDelay(afterAttempts: made), attempted: true, error: reason)
                }
            }
        } catch {
            // The queue itself failed (the outbox's database): the claim's lease makes the row due again.
            logger.warning("filing the outcome of \(delivery.id): \(error)")
        }
    }

    /// One signed POST of the exact payload bytes, timestamped now.
    private func send(_ delivery: PendingDelivery) async -> Outcome {
        guard let peer = endpoints[delivery.endpoint] else { return .rejected("unknown endpoint") }
        let body = Array(delivery.payload.utf8)
        let now = Int64(Date().timeIntervalSince1970)
        var headers = HTTPHeaders([("content-type", "application/json")])
        headers.add(name: WebhookSignature.idHeader, value: delivery.id)
        headers.add(name: WebhookSignature.timestampHeader, value: String(now))
        headers.add(name: WebhookSignature.signatureHeader, value: signature.sign(id: delivery.id, timestamp: now, body: body))
        do {
            let reply = try await peer.post("/webhooks", route: "/webhooks", headers: headers, body: ByteBuffer(bytes: body))
            switch reply.status {
            case 200..<300: return .delivered
            case 408, 429: return .failed("\(reply.status)")
            case 400..<500: return .rejected("\(reply.status) \(reply.text.prefix(200))")
            default: return .failed("\(reply.status)")
            }
        } catch {
            return .failed("\(error)")
        }
    }

    private func attempts(_ endpoint: String, _ outcome: String) -> Counter {
        Counter(label: "webhook_delivery_attempts_total", dimensions: [("endpoint", endpoint), ("outcome", outcome)])
    }

    private func deferrals(_ endpoint: String) -> Counter {
        Counter(label: "webhook_breaker_deferrals_total", dimensions: [("endpoint", endpoint)])
    }

    private func givenUp(_ endpoint: String) -> Counter {
        Counter(
            label: "webhook_given_up_total",
            dimensions: [("endpoint", endpoint), ("fate", settings.queue == .outbox ? "dead_lettered" : "dropped")])
    }
}

/// Deliveries under way, shared by the dispatcher loop and its delivery tasks.
final class InFlightCount: Sendable {
    let value = Atomic<Int>(0)
}

import LabKit
import Synchronization

/// The gateway's admission control, fixed or adaptive behind one interface, publishing the same
/// series either way: `gateway_concurrency_limit`, `gateway_in_flight` (gauges) and
/// `gateway_requests_total{outcome="admitted|shed"}`. The adaptive one also publishes LabKit's
/// `adaptive_concurrency_*` series.
final class ConcurrencyGate: Sendable {
    enum Outcome {
        case succeeded
        case dropped
    }

    /// One admitted request.
    struct Admission: Sendable {
        fileprivate let permit: AdaptiveConcurrencyLimiter<ContinuousClock>.Permit?
    }

    private let adaptive: AdaptiveConcurrencyLimiter<ContinuousClock>?
    private let fixedLimit: Int
    private let inFlight = Mutex(0)
    private let limitGauge = Gauge(label: "gateway_concurrency_limit")
    private let inFlightGauge = Gauge(label: "gateway_in_flight")
    private let admitted = Counter(label: "gateway_requests_total", dimensions: [("outcome", "admitted")])
    private let shed = Counter(label: "gateway_requests_total", dimensions: [("outcome", "shed")])

    init(_ settings: LimitingGatewaySettings) {
        fixedLimit = settings.fixedLimit
        switch settings.limiter {
        case .fixed:
            adaptive = nil
        case .adaptive:
            let algorithm: AdaptiveConcurrencyLimiter<ContinuousClock>.Algorithm =
                switch settings.algorithm {
                case .vegas:
                    .vegas(VegasLimit(initialLimit: settings.initialLimit, maxLimit: settings.maxLimit, smoothing: settings.smoothing))
                case .aimd:
                    .aimd(AIMDLimit(initialLimit: settings.initialLimit, maxLimit: settings.maxLimit, timeout: settings.backendTimeout))
                }
            adaptive = AdaptiveConcurrencyLimiter(name: "backend", algorithm: algorithm)
        }
        admitted.increment(by: 0)
        shed.increment(by: 0)
        limitGauge.record(limit)
        inFlightGauge.record(0)
    }

    var limit: Int { adaptive?.limit ?? fixedLimit }

    /// Admits a request if fewer than the limit are in flight; nil: shed it.
    func admit() -> Admission? {
        let admission: Admission?
        if let adaptive {
            admission = adaptive.tryAcquire().map { Admission(permit: $0) }
            if admission != nil {
                inFlightGauge.record(
                    inFlight.withLock {
                        $0 += 1
                        return $0
                    })
            }
        } else {
            let entered = inFlight.withLock { count -> Int? in
                guard count < fixedLimit else { return nil }
                count += 1
                return count
            }
            entered.map { inFlightGauge.record($0) }
            admission = entered.map { _ in Admission(permit: nil) }
        }
        (admission == nil ? shed : admitted).increment()
        return admission
    }

    /// Reports how an admitted request ended: its latency (or its drop) is what the adaptive limit learns from.
    func complete(_ admission: Admission, _ outcome: Outcome) {
        if let adaptive, let permit = admission.permit {
            switch outcome {
            case .succeeded: adaptive.onSuccess(permit)
            case .dropped: adaptive.onDropped(permit)
            }
        }
        inFlightGauge.record(
            inFlight.withLock {
                $0 -= 1
                return $0
            })
        limitGauge.record(limit)
    }
}

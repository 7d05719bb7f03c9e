import Foundation

/// Histogram buckets (seconds) for labs whose latencies span milliseconds to minutes — an overloaded
/// queue's waits grow far past the default top bucket of 10 s, and a quantile is only as precise as
/// the bucket it falls in. A lab applies them to a histogram before the histogram's first sample:
///
/// ```swift
/// service.telemetry.registry.configureBuckets(forMetric: "http_server_request_duration_seconds", LatencyBuckets.wide)
/// ```
public enum LatencyBuckets {
    public static let wide: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 0.9, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12,
        15, 20, 25, 30, 40, 50, 60, 90, 120,
    ]

    /// Buckets 5 % apart from 1 ms to about 30 s, for a lab whose panel reads a quantile inside a
    /// bimodal tail (fast answers next to timeouts and their retries): `histogram_quantile` interpolates
    /// inside one bucket, so with the default 250 and 500 ms buckets a p99 of 374 ms can read 302 ms;
    /// here it reads within 5 %.
    public static let fine: [Double] = (0...211).map { (0.001 * pow(1.05, Double($0)) * 1e6).rounded() / 1e6 }
}

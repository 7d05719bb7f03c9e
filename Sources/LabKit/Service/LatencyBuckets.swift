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
}

// Resilience patterns the labs teach. Each is small, generic over `some Clock<Duration>` (pass
// `ContinuousClock` in services, `ManualClock` in tests), and publishes its state through the
// swift-metrics facade (pass `metricsFactory:` to choose a backend; default `MetricsSystem.factory`).
//
// | pattern                          | type                                   | metrics (all labelled `name`) |
// |----------------------------------|----------------------------------------|-------------------------------|
// | retry with backoff + jitter      | `RetryPolicy`, `Backoff`, `Retrier`    | `retry_attempts_total{attempt_kind="first|retry"}`, `retry_calls_total{outcome}` |
// | retry budget (gRPC throttling)   | `RetryBudget`                          | `retry_budget_denied_total`, `retry_budget_tokens` |
// | circuit breaker (Resilience4j)   | `CircuitBreaker`                       | `circuit_breaker_state` (0 closed, 1 open, 2 half-open), `circuit_breaker_transitions_total{from,to}`, `circuit_breaker_calls_total{outcome}` |
// | bulkhead                         | `Bulkhead`                             | `bulkhead_in_use`, `bulkhead_waiting`, `bulkhead_rejected_total{reason}` |
// | timeouts, deadline propagation   | `withTimeout`, `Deadline`, `RequestTimeoutHeader` | `timeouts_total` (when named) |
// | hedged requests                  | `HedgingPolicy`, `Hedger`              | `hedging_attempts_total{attempt_kind="first|hedge"}`, `hedging_wins_total{attempt_kind}` |
// | rate limiting                    | `TokenBucketRateLimiter`, `SlidingWindowRateLimiter`, `GCRARateLimiter` | `rate_limiter_requests_total{outcome="admitted|rejected"}` |
// | load shedding                    | `AdaptiveConcurrencyLimiter` (AIMD, Vegas) | `adaptive_concurrency_limit`, `adaptive_concurrency_in_flight`, `adaptive_concurrency_requests_total{outcome}` |

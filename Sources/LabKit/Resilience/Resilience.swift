// Resilience patterns the labs teach. Each is small, generic over `some Clock<Duration>` (pass
// `ContinuousClock` in services, or use the convenience initialisers; `ManualClock` in tests), and
// publishes its state through the swift-metrics facade (`metricsFactory:`, default
// `MetricsSystem.factory`). Every metric carries a `name` label: the instance's name.
//
// | pattern                        | types                                   | metrics |
// |--------------------------------|-----------------------------------------|---------|
// | retry, backoff and jitter      | `RetryPolicy`, `Backoff`, `Retrier`     | `retry_attempts_total{attempt_kind="first|retry"}`, `retry_calls_total{outcome="success|not_retryable|exhausted|budget_denied|deadline"}` |
// | retry budget                   | `RetryBudget` (gRPC throttling, percentage) | `retry_budget_denied_total`, `retry_budget_tokens` (gauge) |
// | circuit breaker (Resilience4j) | `CircuitBreaker`, `CircuitBreakerConfiguration`, `CircuitBreakerOpenError` | `circuit_breaker_state` (gauge: 0 closed, 1 open, 2 half-open), `circuit_breaker_transitions_total{from,to}`, `circuit_breaker_calls_total{outcome="success|slow|failure|rejected|ignored"}` |
// | bulkhead                       | `Bulkhead`, `BulkheadFullError`         | `bulkhead_in_use`, `bulkhead_waiting` (gauges), `bulkhead_rejected_total{reason="queue_full|wait_timeout"}` |
// | executor for blocking work     | `BlockingExecutor` (threads of its own, bounded like a bulkhead) | the bulkhead's, labelled with its name |
// | timeouts, deadlines            | `withTimeout`, `withDeadline`, `Deadline`, `RequestTimeoutHeader`, `DeadlineExceededError` | `timeouts_total` (when given a name) |
// | hedged requests                | `HedgingPolicy`, `HedgeDelay` (fixed, or a percentile of a `LatencyWindow`), `Hedger`; a `RetryBudget` caps hedges | `hedging_attempts_total{attempt_kind="first|hedge"}`, `hedging_wins_total{attempt_kind}`, `hedging_delay_seconds` |
// | rate limiting                  | `RateLimiter`, `TokenBucketRateLimiter`, `SlidingWindowRateLimiter`, `GCRARateLimiter` | `rate_limiter_requests_total{algorithm,outcome="admitted|rejected"}`, `rate_limiter_available_tokens` (token bucket) |
// | load shedding                  | `AdaptiveConcurrencyLimiter` with `AIMDLimit` or `VegasLimit` | `adaptive_concurrency_limit`, `adaptive_concurrency_in_flight` (gauges), `adaptive_concurrency_requests_total{outcome="admitted|rejected"}` |
// | a server's workers and queue   | `WorkerPool` (bounded or not, FIFO/LIFO/adaptive LIFO, CoDel, `RequestPriority`), `WorkerPoolRejectedError` | `worker_pool_workers`, `worker_pool_busy`, `worker_pool_queue_length` (gauges), `worker_pool_admitted_total{priority}`, `worker_pool_rejected_total{priority,reason}`, `worker_pool_queue_wait_seconds` |
//
// Composition, outermost first: shed load (adaptive limiter / rate limiter), isolate (bulkhead), fail
// fast (circuit breaker), then retry inside with a budget and the request's deadline, each attempt
// under its own timeout. See CallerIsolationTests for the stack inside an actor.

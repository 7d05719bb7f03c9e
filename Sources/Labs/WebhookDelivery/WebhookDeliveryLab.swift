import LabKit

/// Week 33: webhook delivery.
///
///     load generator → producer POST /events/{key} → sender POST /events (queued: memory or outbox)
///                      producer: the ledger (`produced`)      sender's dispatcher → POST /webhooks (signed)
///                                                              → healthy | flaky (30 % 503) | outage (killed for a phase)
///     receivers: verify the signature and timestamp, record each event id in `received`
///
/// `QUEUE` (sender): `memory` or `outbox`; `BREAKER`: per endpoint, one half-open probe;
/// `BACKOFF_JITTER` with `BACKOFF_BASE_MS`/`BACKOFF_MULTIPLIER`/`BACKOFF_CAP_MS`. Receivers: `FAILURE_RATE`.
enum WebhookDeliveryLab {
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "producer", "POST /events/{key}: emits an event to the next endpoint through the sender; the ledger and its audit",
            build: EventProducer.build),
        .init(
            "sender", "POST /events: queues an event (QUEUE=memory|outbox); the dispatcher delivers it, signed, with retries and breakers",
            build: WebhookSender.build),
        .init("healthy", "a receiver: POST /webhooks, verifies the signature, records the event", build: WebhookReceiver.build),
        .init("flaky", "a receiver that answers 503 to a share of deliveries (FAILURE_RATE)", build: WebhookReceiver.build),
        .init("outage", "a receiver the scenario kills for a phase and starts again", build: WebhookReceiver.build),
    ]

    static let knobs: [String: [any LabKnob]] = [
        "producer": EventProducer.knobs, "sender": WebhookSender.knobs, "healthy": WebhookReceiver.knobs,
        "flaky": WebhookReceiver.knobs, "outage": WebhookReceiver.knobs,
    ]
}

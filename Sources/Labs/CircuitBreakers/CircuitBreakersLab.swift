import LabKit

/// Week 7: circuit breakers.
///
///     client  GET /quote/{id} → backend GET /price/{id}   (timeout BACKEND_TIMEOUT_MS)
///
/// `BREAKER=on` wraps the backend call in LabKit's circuit breaker (Resilience4j semantics, configured
/// from the `CB_*` variables), `FALLBACK=on` answers from the last good price when the call fails or
/// the breaker rejects it.
enum CircuitBreakersLab {
    /// The lab's services; its week, slug and title are in its lab.yaml.
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "client", "GET /quote/{id}: calls backend GET /price/{id} (BACKEND_URL), BREAKER/FALLBACK/CB_* knobs", build: QuoteClient.build),
        .init("backend", "GET /price/{id}: a price, in a few ms", build: PriceBackend.build),
    ]
}

import LabKit

extension Labs {
    /// Every lab's knobs, by lab id and role: each lab declares its own (`<Name>Lab.knobs`, next to the
    /// settings that read them); this is the one list that gathers them.
    public static let knobs: [String: [String: [any LabKnob]]] = [
        SelfTestLab.lab.id: SelfTestLab.knobs,
        BasicsLab.lab.id: BasicsLab.knobs,
        FindingSlowServiceLab.lab.id: FindingSlowServiceLab.knobs,
        CacheDiesLab.lab.id: CacheDiesLab.knobs,
        WriteThroughCacheLab.lab.id: WriteThroughCacheLab.knobs,
        ConnectionPoolExhaustionLab.lab.id: ConnectionPoolExhaustionLab.knobs,
        RetryStormsLab.lab.id: RetryStormsLab.knobs,
        CircuitBreakersLab.lab.id: CircuitBreakersLab.knobs,
        CacheAsideLab.lab.id: CacheAsideLab.knobs,
        CascadingFailuresLab.lab.id: CascadingFailuresLab.knobs,
        ThunderingHerdLab.lab.id: ThunderingHerdLab.knobs,
        IdempotencyKeysLab.lab.id: IdempotencyKeysLab.knobs,
        RaceConditionsLab.lab.id: RaceConditionsLab.knobs,
        TicketBookingLab.lab.id: TicketBookingLab.knobs,
    ]

    /// `registry` with every role's knobs declared: what `labsvc` runs, so each service checks its knobs
    /// at start, and `labsvc knobs` lists. A lab missing from `knobs` declares none: any knob it reads
    /// stops it at start.
    public static let services = LabServiceRegistry(registry.labs.map { $0.declaringKnobs(knobs[$0.id] ?? [:]) })
}

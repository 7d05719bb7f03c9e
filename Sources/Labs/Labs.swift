// Labs: one folder per lab with that lab's services.
import LabKit

/// Every lab's services, for `labsvc <lab> <role>` and the control plane.
public enum Labs {
    public static let registry = LabServiceRegistry([
        SelfTestLab.lab,
        BasicsLab.lab,
        ConnectionPoolExhaustionLab.lab,
        FindingSlowServiceLab.lab,
        WriteThroughCacheLab.lab,
        CircuitBreakersLab.lab,
        RetryStormsLab.lab,
        CacheDiesLab.lab,
        CacheAsideLab.lab,
        ThunderingHerdLab.lab,
        IdempotencyKeysLab.lab,
        CascadingFailuresLab.lab,
        RaceConditionsLab.lab,
        TicketBookingLab.lab,
    ])
}

import Synchronization

/// When the buffered store's next flush is due. `POST /flush` writes the buffer out at once and
/// starts the next interval from then, so that the scenario's kill lands a known time after a flush:
/// left to chance, the kill sometimes lands just as a flush has emptied the buffer and loses nothing.
final class FlushSchedule: Sendable {
    let every: Duration
    private let due: Mutex<ContinuousClock.Instant>

    init(every: Duration) {
        self.every = every
        self.due = Mutex(.now + every)
    }

    var next: ContinuousClock.Instant { due.withLock { $0 } }

    /// True, with the next flush scheduled, when a flush is due now; false when `restart` moved it.
    func claimIfDue() -> Bool {
        due.withLock { due in
            let now = ContinuousClock.now
            guard now >= due else { return false }
            due = now + every
            return true
        }
    }

    /// The next flush is due one interval from now.
    func restart() {
        due.withLock { $0 = .now + every }
    }
}

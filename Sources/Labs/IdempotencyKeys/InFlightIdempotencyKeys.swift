import LabKit
import Synchronization

extension IdempotencyKeysLab {
    /// Watches which payment intents this process is handling right now, to COUNT concurrent duplicates
    /// (`concurrent_duplicate_requests_total{other_request="charging|answering"}`): a request for an intent
    /// that another request is still charging (its transaction is open) or still answering (committed,
    /// reply not yet sent — e.g. a lost response being held). Observation only: the protection itself is
    /// the database's row lock in `ChargeLedger.chargeOnce`, which works across any number of replicas.
    final class InFlightKeys: Sendable {
        struct Ticket: Sendable {
            let key: String
            let id: Int
        }

        private enum Stage { case charging, answering }
        private let state = Mutex<(next: Int, keys: [String: [Int: Stage]])>((0, [:]))
        private let whileCharging = Counter(label: "concurrent_duplicate_requests_total", dimensions: [("other_request", "charging")])
        private let whileAnswering = Counter(label: "concurrent_duplicate_requests_total", dimensions: [("other_request", "answering")])

        func arrive(_ key: String) -> Ticket {
            let (ticket, others) = state.withLock { s -> (Ticket, [Stage]) in
                s.next += 1
                let others = Array(s.keys[key, default: [:]].values)
                s.keys[key, default: [:]][s.next] = .charging
                return (Ticket(key: key, id: s.next), others)
            }
            if others.contains(.charging) {
                whileCharging.increment()
            } else if others.contains(.answering) {
                whileAnswering.increment()
            }
            return ticket
        }

        func committed(_ ticket: Ticket) {
            state.withLock { $0.keys[ticket.key]?[ticket.id] = .answering }
        }

        func leave(_ ticket: Ticket) {
            state.withLock { s in
                s.keys[ticket.key]?[ticket.id] = nil
                if s.keys[ticket.key]?.isEmpty == true { s.keys[ticket.key] = nil }
            }
        }
    }
}

import Foundation
import LabKit

/// The lab's observation header, `x-lab-client-deadline-ms`: the wall-clock time (Unix milliseconds)
/// at which the original client gives up. The edge stamps it from the client's own
/// `x-request-timeout-ms` in both variants and every hop passes it on unchanged, so the ledger can
/// tell useful work from work nobody is waiting for. It is a measuring instrument only: no hop acts
/// on it (all the services run on one machine, so their wall clocks agree).
enum ObservedClientDeadline {
    static let header = "x-lab-client-deadline-ms"

    /// The header value for a client that allows `budget` from now.
    static func stamp(budget: Duration) -> String {
        String(Int64((Date().timeIntervalSince1970 + budget / .seconds(1)) * 1000))
    }

    /// Whether the client whose header this is has given up by now (false when there is none).
    static func hasPassed(_ value: String?) -> Bool {
        guard let value, let milliseconds = Double(value) else { return false }
        return Date().timeIntervalSince1970 * 1000 > milliseconds
    }
}

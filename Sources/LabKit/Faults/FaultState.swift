import Logging
import Metrics
import Synchronization

/// The faults currently switched on in this process, shared by the admin API and the fault middleware.
///
/// Hung requests park here until the hang fault is cleared (or their task is cancelled), so clearing
/// a hang releases every request it was holding.
public final class FaultState: Sendable {
    private struct State {
        var faults = FaultSet.none
        var hungRequests: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID = 0
    }

    private let state = Mutex(State())
    private let logger: Logger

    public init(logger: Logger = Logger(label: "lab.faults")) {
        self.logger = logger
        Self.publish(.none)
    }

    public var current: FaultSet { state.withLock { $0.faults } }

    /// Replaces the active faults. A hang that is no longer wanted releases the requests it holds.
    public func set(_ faults: FaultSet) {
        let released: [CheckedContinuation<Void, Never>] = state.withLock { s in
            s.faults = faults
            guard faults.hang == nil else { return [] }
            defer { s.hungRequests.removeAll() }
            return Array(s.hungRequests.values)
        }
        for waiter in released { waiter.resume() }
        logger.notice(
            "faults changed", metadata: ["faults": "\(faults.json.encodedString())", "released_hung_requests": "\(released.count)"])
        Self.publish(faults)
    }

    public func clear() { set(.none) }

    /// Parks the calling request while a hang fault is active; returns when it is cleared or the task is cancelled.
    func waitWhileHung() async {
        let id = state.withLock { s -> Int in
            s.nextWaiterID += 1
            return s.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let parked = state.withLock { s -> Bool in
                    guard s.faults.hang != nil, !Task.isCancelled else { return false }
                    s.hungRequests[id] = continuation
                    return true
                }
                if !parked { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.hungRequests.removeValue(forKey: id) }?.resume()
        }
    }

    var hungRequestCount: Int { state.withLock { $0.hungRequests.count } }

    /// `fault_injection_active{kind}` is 1 while that kind is on, 0 otherwise.
    private static func publish(_ faults: FaultSet) {
        for kind in FaultSet.kinds {
            Gauge(label: "fault_injection_active", dimensions: [("kind", kind)]).record(faults.isActive(kind) ? 1 : 0)
        }
    }
}

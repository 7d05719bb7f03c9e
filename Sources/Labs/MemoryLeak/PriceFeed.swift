import Synchronization

/// Price changes that rendered reports listen to, the second shape of leak: a subscription whose
/// owner forgets to unsubscribe. Each listener holds what its closure captured (here the request's
/// rendering context) for as long as it stays subscribed, which for a forgotten one is forever.
final class PriceFeed: Sendable {
    typealias Listener = @Sendable (_ product: Int, _ price: Double) -> Void

    private let listeners = Mutex<(next: Int, all: [Int: Listener])>((0, [:]))

    /// Subscribes `listener`; the token unsubscribes it.
    func subscribe(_ listener: @escaping Listener) -> Int {
        listeners.withLock { state in
            state.next += 1
            state.all[state.next] = listener
            return state.next
        }
    }

    func unsubscribe(_ token: Int) {
        _ = listeners.withLock { $0.all.removeValue(forKey: token) }
    }

    var count: Int { listeners.withLock { $0.all.count } }

    /// A price changed: every listener hears it.
    func publish(product: Int, price: Double) {
        for listener in listeners.withLock({ Array($0.all.values) }) { listener(product, price) }
    }
}

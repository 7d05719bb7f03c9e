import Synchronization

/// The handlers a `PrometheusMetricsFactory` has made, by what the facade asked for.
///
/// swift-metrics code commonly makes its metric object per event — `Timer(label:dimensions:)` for each
/// request, as Hummingbird's `MetricsMiddleware` and LabKit's server middleware do — and each one
/// reaches `make…` on the factory. Without this cache that meant, per request: sanitising the name,
/// normalising the labels, a HELP string, and a registry lookup under its lock (7% of a lab
/// service's CPU in Benchmarks/http-telemetry). With it, a hash of the label and dimensions.
final class HandlerCache: Sendable {
    enum Kind: UInt8, Sendable {
        case counter, floatingPointCounter, recorder, aggregatingRecorder, meter, timer
    }

    struct Key: Hashable, Sendable {
        let kind: Kind
        let label: String
        let dimensions: [(String, String)]

        static func == (a: Key, b: Key) -> Bool {
            guard a.kind == b.kind, a.label == b.label, a.dimensions.count == b.dimensions.count else { return false }
            for (x, y) in zip(a.dimensions, b.dimensions) where x.0 != y.0 || x.1 != y.1 { return false }
            return true
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(kind)
            hasher.combine(label)
            for (name, value) in dimensions {
                hasher.combine(name)
                hasher.combine(value)
            }
        }
    }

    /// Past this many distinct handlers (label values with unbounded cardinality), new ones are
    /// made without being remembered, as before.
    static let capacity = 10_000

    private let entries = Mutex<[Key: any AnyObject & Sendable]>([:])

    func handler<Handler: AnyObject & Sendable>(
        _ kind: Kind, _ label: String, _ dimensions: [(String, String)], make: () -> Handler
    ) -> Handler {
        let key = Key(kind: kind, label: label, dimensions: dimensions)
        // Each kind is made by one `make…` with one handler class, so what is cached under a key of
        // this kind is a `Handler`: no dynamic cast needed on this per-request path.
        if let cached = entries.withLock({ $0[key] }) {
            assert(cached is Handler, "HandlerCache: \(kind) cached a \(type(of: cached)), not a \(Handler.self)")
            return unsafeDowncast(cached, to: Handler.self)
        }
        let made = make()
        return entries.withLock { entries in
            if let cached = entries[key] as? Handler { return cached } // another thread made it first
            if entries.count < Self.capacity { entries[key] = made }
            return made
        }
    }

    /// Forgets every handler (a `destroy…` call removed a series; the next `make…` re-registers it).
    func removeAll() {
        entries.withLock { $0.removeAll() }
    }
}

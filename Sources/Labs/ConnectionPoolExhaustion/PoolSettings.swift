import LabKit

extension ConnectionPoolExhaustionLab {
    /// One pool's knobs: `<PREFIX>_POOL_SIZE`, `<PREFIX>_ACQUIRE_TIMEOUT_MS` (how long a request may
    /// wait for a connection; 0 = forever) and `<PREFIX>_STATEMENT_TIMEOUT_MS` (PostgreSQL cancels a
    /// statement running longer; 0 = never).
    struct PoolSettings {
        var name: String
        var size: Int
        var acquireTimeout: Duration
        var statementTimeoutMilliseconds: Int

        init(_ prefix: String, name: String, _ knobs: KnobReader) throws {
            self.name = name
            let declared = Self.knobs(prefix)
            size = try knobs.read(declared.size)
            let acquire = try knobs.read(declared.acquireTimeout)
            // "No acquire timeout" is an hour: longer than any client waits.
            acquireTimeout = acquire == .zero ? .seconds(3600) : acquire
            statementTimeoutMilliseconds = Int(try knobs.read(declared.statementTimeout) / .milliseconds(1))
        }

        /// The three knobs of the pool whose variables start with `prefix` (`DB`, `FAST`, `SLOW`).
        static func knobs(_ prefix: String) -> (size: Knob<Int>, acquireTimeout: Knob<Duration>, statementTimeout: Knob<Duration>) {
            let pool = prefix == "DB" ? "the shared pool (`shared`)" : "the \(prefix.lowercased()) path's pool (`split`)"
            return (
                Knob.wholeNumber("\(prefix)_POOL_SIZE", default: 5, in: 1...1_000, "connections of \(pool)"),
                Knob.milliseconds(
                    "\(prefix)_ACQUIRE_TIMEOUT_MS", default: 0, in: 0...3_600_000,
                    "how long a request waits for a connection of \(pool), then 503 (0: forever)"),
                Knob.milliseconds(
                    "\(prefix)_STATEMENT_TIMEOUT_MS", default: 0, in: 0...3_600_000,
                    "PostgreSQL cancels a statement of \(pool) running longer, then 503 (0: never)")
            )
        }
    }

    /// `POOLS=shared`: one pool (`DB_*` knobs) serves both paths. `POOLS=split`: the fast path gets
    /// `FAST_*`, the slow path `SLOW_*` — a bulkhead, so the slow path can only exhaust its own pool.
    enum PoolLayout: String, CaseIterable, Sendable {
        case shared, split
    }

    static let layoutKnob = Knob<PoolLayout>.choice(
        "POOLS", default: .split, "`shared`: both paths lease from one pool (DB_*); `split`: each path has its own (FAST_*, SLOW_*)")
    static let reportTimeKnob = Knob.milliseconds(
        "REPORT_MS", default: 2_000, in: 0...600_000, "how long the slow report holds its connection (`pg_sleep`)")

    /// Each role's knobs, for `labsvc knobs` and the strict check at start.
    static let knobs: [String: [any LabKnob]] = [
        "app": [layoutKnob, reportTimeKnob]
            + ["DB", "FAST", "SLOW"].flatMap { prefix -> [any LabKnob] in
                let pool = PoolSettings.knobs(prefix)
                return [pool.size, pool.acquireTimeout, pool.statementTimeout]
            }
    ]
}

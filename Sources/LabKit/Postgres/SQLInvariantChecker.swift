import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// A business rule written as one SQL query that COUNTS the rows breaking it, e.g. "no item sold more
/// often than it was stocked":
///
///     SQLInvariant("oversold", """
///         SELECT coalesce(sum(greatest(0, sold - initial_stock)), 0) FROM …
///         """)
///
/// The query must return one row with one number (any integer type, or numeric); 0 means the rule holds.
public struct SQLInvariant: Sendable, Equatable {
    public var name: String
    public var sql: String

    public init(_ name: String, _ sql: String) {
        self.name = name
        self.sql = sql
    }
}

/// Turns SQL invariants into a metric Prometheus can query: every `interval` it runs each invariant's
/// query and sets the gauge `invariant_violations{invariant="<name>"}` to the count it returned.
///
/// The database is the judge, not the service's own bookkeeping: a lost update or a double booking is
/// invisible to the code that caused it (each request thinks it succeeded), but a query over what was
/// committed counts it. A series appears only after its first successful check (a table that does not
/// exist yet gives no series, never a false 0). The checks run outside any trace (they are not
/// requests) and each on one pooled connection.
///
/// It is a `Service`: run it in the service group (`LabService.sqlInvariants(_:on:)` does).
public final class SQLInvariantChecker: Service, Sendable {
    public let invariants: [SQLInvariant]
    public let interval: Duration
    private let db: LabPostgres
    private let logger: Logger
    /// Created at an invariant's first successful check: a gauge exists (as 0) from its creation.
    private let gauges = Mutex<[String: Gauge]>([:])
    private let lastValues = Mutex<[String: Int]>([:])

    public init(db: LabPostgres, invariants: [SQLInvariant], interval: Duration = .milliseconds(500), logger: Logger) {
        precondition(Set(invariants.map(\.name)).count == invariants.count, "invariant names must be unique")
        self.db = db
        self.invariants = invariants
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = await self.checkAll()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// Runs every invariant once, updates its gauge and returns the counts of the ones that could be
    /// checked (a failing query is logged and leaves its gauge as it was).
    @discardableResult
    public func checkAll() async -> [String: Int] {
        var counts: [String: Int] = [:]
        for invariant in invariants {
            do {
                let count = try await check(invariant)
                counts[invariant.name] = count
                gauge(invariant.name).record(count)
            } catch {
                logger.debug("invariant '\(invariant.name)' not checked: \(String(reflecting: error))")
            }
        }
        lastValues.withLock { $0.merge(counts) { _, new in new } }
        return counts
    }

    private func gauge(_ name: String) -> Gauge {
        gauges.withLock { gauges in
            if let gauge = gauges[name] { return gauge }
            let gauge = Gauge(label: "invariant_violations", dimensions: [("invariant", name)])
            gauges[name] = gauge
            return gauge
        }
    }

    /// The last count seen for each invariant (for readiness output and tests).
    public var lastCounts: [String: Int] { lastValues.withLock { $0 } }

    private func check(_ invariant: SQLInvariant) async throws -> Int {
        // As a scalar subquery cast to bigint, so count(*), sum() (numeric) and int columns all decode.
        let query = PostgresQuery(unsafeSQL: "SELECT (\n\(invariant.sql)\n)::bigint")
        let logger = self.logger
        let rows = try await db.withConnection { connection in
            try await connection.query(query, logger: logger).collect()
        }
        guard let row = rows.first else { throw InvariantQueryError(name: invariant.name, problem: "returned no row") }
        guard let count = try row.decode(Int?.self) else { throw InvariantQueryError(name: invariant.name, problem: "returned NULL") }
        return count
    }
}

/// An invariant's query did not return one row with one integer.
public struct InvariantQueryError: Error, CustomStringConvertible, Sendable {
    public let name: String
    public let problem: String
    public var description: String { "invariant '\(name)': the query \(problem)" }
}

extension LabService {
    /// Checks `invariants` against `db` every `interval` while the service runs and exports
    /// `invariant_violations{invariant=…}`.
    @discardableResult
    public func sqlInvariants(
        _ invariants: [SQLInvariant], on db: LabPostgres, interval: Duration = .milliseconds(500)
    ) -> SQLInvariantChecker {
        let checker = SQLInvariantChecker(db: db, invariants: invariants, interval: interval, logger: context.logger)
        addService(checker)
        return checker
    }
}

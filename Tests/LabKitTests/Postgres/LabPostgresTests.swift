import Foundation
import HTTPTypes
import LabControl
import Logging
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import XCTest

@testable import LabKit

/// Against a real PostgreSQL started from the machine's packages.
final class LabPostgresTests: XCTestCase {
    private static let server = PostgresOnce()

    /// Stops the shared server and removes its cluster once the class is done. (tearDown runs on the
    /// main thread, so waiting here does not block the tasks doing the work.)
    override class func tearDown() {
        let done = DispatchSemaphore(value: 0)
        Task {
            await server.stopAndRemove()
            done.signal()
        }
        done.wait()
        super.tearDown()
    }

    private func makePool(
        poolSize: Int = 4, acquireTimeoutMs: Int = 5000, poolName: String
    ) async throws -> (LabPostgres, Task<Void, Never>) {
        _ = TestTelemetry.telemetry
        let pg = try await Self.server.get()
        let context = try LabContext(
            serviceName: "pg-test",
            environment: ["DATABASE_URL": pg.url, "DB_POOL_SIZE": "\(poolSize)", "DB_ACQUIRE_TIMEOUT_MS": "\(acquireTimeoutMs)"])
        let db = try XCTUnwrap(try LabPostgres.fromEnvironment(context, poolName: poolName))
        XCTAssertEqual(db.poolSize, poolSize)
        let task = Task { await db.client.run() }
        return (db, task)
    }

    func testATransactionCommitsItsStatementsOrRollsThemAllBack() async throws {
        let (db, task) = try await makePool(poolName: "transactions")
        addTeardownBlock { task.cancel() }
        try await db.query("CREATE TABLE IF NOT EXISTS ledger (id serial PRIMARY KEY, note text NOT NULL)")
        try await db.query("TRUNCATE ledger")
        try await db.transaction { tx in
            try await tx.query("INSERT INTO ledger (note) VALUES ('a')")
            try await tx.query("INSERT INTO ledger (note) VALUES ('b')")
        }
        struct Abandon: Error {}
        do {
            try await db.transaction(isolation: .serializable) { tx in
                try await tx.query("INSERT INTO ledger (note) VALUES ('c')")
                throw Abandon()
            }
            XCTFail("the body's error is rethrown")
        } catch is Abandon {}
        let notes = try await db.query("SELECT note FROM ledger ORDER BY id").map { try $0.decode(String.self) }
        XCTAssertEqual(notes, ["a", "b"], "the committed pair stays, the abandoned insert is rolled back")
        XCTAssertFalse(LabPostgres.isSerializationFailure(Abandon()))
    }

    func testQueriesRunAndSpansCarryTheStatementNotTheValues() async throws {
        let (db, task) = try await makePool(poolName: "queries")
        addTeardownBlock { task.cancel() }
        try await db.query("CREATE TABLE IF NOT EXISTS people (id serial PRIMARY KEY, name text NOT NULL)")
        let secret = "Ada-\(UUID().uuidString)"
        try await db.query("INSERT INTO people (name) VALUES (\(secret))")
        let rows = try await db.query("SELECT name FROM people WHERE name = \(secret)")
        XCTAssertEqual(try rows.map { try $0.decode(String.self) }, [secret])

        let inserts = try await TestTelemetry.spans(
            named: "INSERT", where: { $0.attribute("db.query.text") == .string("INSERT INTO people (name) VALUES ($1)") })
        let span = try XCTUnwrap(inserts.first, "no INSERT span with the statement text")
        XCTAssertEqual(span.attribute("db.system"), .string("postgresql"))
        XCTAssertEqual(span.kind, 3, "SPAN_KIND_CLIENT")
        XCTAssertFalse(span.attributes.contains { "\($0.value)".contains(secret) }, "bound values never reach the span")
    }

    func testPoolMetricsShowWaitingWhenThePoolIsExhausted() async throws {
        let (db, task) = try await makePool(poolSize: 2, acquireTimeoutMs: 10_000, poolName: "exhaust")
        addTeardownBlock { task.cancel() }
        try await db.ping()

        // Two callers hold both connections; three more must wait.
        let holders = (0..<5).map { _ in Task { try await db.query("SELECT pg_sleep(1.5)") } }
        var sawWaiting = false
        var metricsWhileWaiting = ""
        for _ in 0..<100 {
            if db.pendingRequests >= 3 && db.connectionsInUse == 2 {
                metricsWhileWaiting = TestTelemetry.telemetry.exposition(accept: nil).body
                sawWaiting = true
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTAssertTrue(sawWaiting, "pending=\(db.pendingRequests) inUse=\(db.connectionsInUse)")
        XCTAssertTrue(metricsWhileWaiting.contains(#"db_client_connections_in_use{pool_name="exhaust"} 2"#), metricsWhileWaiting)
        XCTAssertTrue(metricsWhileWaiting.contains(#"db_client_connections_idle{pool_name="exhaust"} 0"#), metricsWhileWaiting)
        XCTAssertTrue(metricsWhileWaiting.contains(#"db_client_connections_pending_requests{pool_name="exhaust"} 3"#), metricsWhileWaiting)
        for holder in holders { _ = try await holder.value }

        let after = TestTelemetry.telemetry.exposition(accept: nil).body
        XCTAssertTrue(after.contains(#"db_client_connections_pending_requests{pool_name="exhaust"} 0"#), after)
        XCTAssertTrue(after.contains(#"db_client_connections_in_use{pool_name="exhaust"} 0"#), after)
        // Both connections stay open after the burst (PostgresNIO's idle timeout), now idle.
        XCTAssertTrue(after.contains(#"db_client_connections_idle{pool_name="exhaust"} 2"#), after)
        XCTAssertEqual(db.idleConnections, 2)
        // 1 ping + 5 queries waited for a connection, and the last ones waited about a second.
        XCTAssertTrue(after.contains(#"db_client_connection_acquire_duration_seconds_count{pool_name="exhaust"} 6"#), after)
        XCTAssertFalse(
            after.contains(#"db_client_connection_acquire_duration_seconds_bucket{pool_name="exhaust",le="1"} 6"#),
            "some waited over a second")
    }

    func testAcquireTimeoutFailsInsteadOfQueueingForever() async throws {
        let (db, task) = try await makePool(poolSize: 1, acquireTimeoutMs: 300, poolName: "timeout")
        addTeardownBlock { task.cancel() }
        try await db.ping()
        let holder = Task { try await db.query("SELECT pg_sleep(2)") }
        try await Task.sleep(for: .milliseconds(300))
        let (outcome, seconds) = await timed { () async -> (any Error)? in
            do { try await db.query("SELECT 1") } catch { return error }
            return nil
        }
        let exhausted = try XCTUnwrap(outcome as? PoolExhausted, "\(String(describing: outcome))")
        XCTAssertTrue(exhausted.allConnectionsBusy)
        XCTAssertTrue("\(exhausted)".contains("all 1 connections busy"), "\(exhausted)")
        XCTAssertLessThan(seconds, 1.5)
        XCTAssertEqual(db.pendingRequests, 0, "the caller that gave up no longer counts as waiting")
        _ = try await holder.value
        try await db.ping()
        XCTAssertEqual(db.connectionsInUse, 0)
    }

    /// With the server unreachable the wait also runs out, but the pool is not busy: the error says
    /// where it tried to connect instead of blaming busy connections.
    func testAnUnreachableServerIsNotReportedAsABusyPool() async throws {
        _ = TestTelemetry.telemetry
        let context = try LabContext(
            serviceName: "pg-test",
            environment: ["DATABASE_URL": "postgres://lab@127.0.0.1:1/lab", "DB_POOL_SIZE": "3", "DB_ACQUIRE_TIMEOUT_MS": "300"])
        let db = try XCTUnwrap(try LabPostgres.fromEnvironment(context, poolName: "unreachable"))
        let task = Task { await db.client.run() }
        addTeardownBlock { task.cancel() }
        do {
            try await db.query("SELECT 1")
            XCTFail("a query against a closed port succeeded")
        } catch let error as PoolExhausted {
            XCTAssertFalse(error.allConnectionsBusy)
            XCTAssertEqual(error.inUse, 0)
            XCTAssertTrue("\(error)".contains("PostgreSQL at 127.0.0.1:1"), "\(error)")
            XCTAssertFalse("\(error)".contains("busy"), "\(error)")
        }
    }

    func testServiceReadinessFollowsTheDatabase() async throws {
        let pg = try await Self.server.get()
        let svc = try await RunningService.start(name: "pg-ready", environment: ["DATABASE_URL": pg.url]) { service in
            _ = try service.postgres()
        }
        addTeardownBlock { await svc.stop() }
        let answer1 = try await http(.GET, svc.baseURL + "/readyz")
        XCTAssertEqual(answer1.status, 200)

        let down = try await RunningService.start(name: "pg-down", environment: ["DATABASE_URL": "postgres://lab@127.0.0.1:1/lab"]) {
            service in
            _ = try service.postgres()
        }
        addTeardownBlock { await down.stop() }
        let answer = try await http(.GET, down.baseURL + "/readyz")
        XCTAssertEqual(answer.status, 503)
        XCTAssertEqual(answer.json["failed"], ["postgres"])
    }
}

/// One PostgreSQL server for the test class (initdb takes seconds).
actor PostgresOnce {
    private var server: PostgresServer?

    func get() async throws -> PostgresServer {
        if let server { return server }
        let dir = URL(fileURLWithPath: "/tmp/labkit-pg-\(getpid())")
        let started = try await PostgresServer.start(directory: dir)
        server = started
        return started
    }

    func stopAndRemove() async {
        guard let server else { return }
        await server.stop()
        try? FileManager.default.removeItem(at: server.directory)
        self.server = nil
    }
}

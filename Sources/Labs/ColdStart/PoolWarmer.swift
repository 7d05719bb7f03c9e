import LabKit
import PostgresNIO
import Synchronization

/// Opens every connection of a PostgreSQL pool before the replica takes traffic. PostgresNIO opens
/// connections lazily, when a query asks for one and none is free; each one costs a TCP handshake,
/// a new PostgreSQL backend process (fork, authentication) and that backend's first queries, which
/// fill its own catalog caches. Here each connection is leased and held until all of them are open
/// (so the pool cannot hand the same connection out twice) and runs the catalog's statements once.
enum PoolWarmer {
    static func openEveryConnection(of db: LabPostgres) async throws {
        let size = db.poolSize
        let opened = OpenedConnections()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<size {
                group.addTask {
                    try await db.withConnection { connection in
                        try await connection.query("SELECT quantity FROM stock WHERE product_id = 1", logger: db.logger)
                        try await connection.query(
                            "SELECT count(*) FROM reviews WHERE product_id = 1", logger: db.logger)
                        opened.count.withLock { $0 += 1 }
                        while opened.count.withLock({ $0 }) < size { try await Task.sleep(for: .milliseconds(2)) }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// How many of the pool's connections the warmer holds so far.
private final class OpenedConnections: Sendable {
    let count = Mutex(0)
}

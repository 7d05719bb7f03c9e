import LabKit
import Synchronization

/// KEY IDEA: isolate by resource kind, and size each compartment by Little's law. Week 9 gave each
/// dependency its own small semaphore; here the compartments are the real resources a service
/// spends: connections and threads. One connection pool shared by a fast and a slow dependency is
/// as big as the slow one makes it: at 10 reports/s and 3 s each, reports want 30 connections (L = λW)
/// and take all 20, and stock lookups wait for a connection until the pool times out. A pool per
/// dependency, sized for that dependency's own λ x W, leaves stock lookups their 4 connections and
/// sheds reports the moment theirs are full. Threads are the other kind: a blocking client called
/// from an async handler holds one of Swift's cooperative threads (one per core), so a few slow
/// blocking calls stop every task in the process; a small executor of its own keeps them apart.
enum IsolatingApi {
    static func build(_ service: LabService) async throws {
        let settings = try IsolationSettings(service.knobs)
        var inventory = try service.context.peer("inventory", timeout: settings.dependencyTimeout)
        var reports = try service.context.peer("reports", timeout: settings.dependencyTimeout)
        switch settings.pools {
        case .shared:
            let shared = ConnectionPool(name: "shared", size: settings.sharedPoolSize, maxWait: settings.poolWait)
            inventory.pool = shared
            reports.pool = shared
        case .perDependency:
            inventory.pool = ConnectionPool(name: "inventory", size: settings.inventoryPoolSize, maxWait: settings.inventoryPoolWait)
            reports.pool = ConnectionPool(name: "reports", size: settings.reportsPoolSize, maxWait: settings.reportsPoolWait)
        }
        let legacyURL = try service.context.peer("legacy").baseURL
        let legacy = try BlockingLegacyClient(url: legacyURL, timeout: settings.legacyTimeout)
        let executor: BlockingExecutor? =
            settings.blocking == .executor
            ? BlockingExecutor(name: "legacy-threads", threads: settings.blockingThreads, maxQueue: settings.blockingQueue) : nil
        let blockingInFlight = Gauge(label: "legacy_blocking_calls_in_flight")
        let inFlight = Mutex(0)
        blockingInFlight.record(0)

        for (route, peer) in [("stock", inventory), ("report", reports)] {
            service.router.get(RouterPath("/\(route)/:id")) { _, context -> Response in
                let id = context.parameters.get("id") ?? "0"
                do {
                    let reply = try await peer.get("/\(route)/\(id)", route: "/\(route)/{id}")
                    return .json(reply.json, status: .init(code: reply.status))
                } catch let error as PeerError {
                    if case .poolTimeout = error { return .jsonError("\(error)", status: .serviceUnavailable) }  // shed or pool timeout
                    return .jsonError("\(error)", status: .gatewayTimeout)
                }
            }
        }

        service.router.get("/export/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? "0"
            @Sendable func blockingCall() throws -> Int {
                blockingInFlight.record(inFlight.withLock { $0 += 1; return $0 })
                defer { blockingInFlight.record(inFlight.withLock { $0 -= 1; return $0 }) }
                return try legacy.get("/export/\(id)")
            }
            do {
                let status: Int
                if let executor {
                    status = try await executor.run(blockingCall)  // one of its threads blocks; this task just waits
                } else {
                    status = try blockingCall()  // inline: this thread, a cooperative one, blocks until legacy answers
                }
                return .json(["id": .string(id), "legacy_status": .number(Double(status))], status: status == 200 ? .ok : .badGateway)
            } catch let full as BulkheadFullError {
                return .jsonError("\(full)", status: .serviceUnavailable)
            } catch {
                return .jsonError("\(error)", status: .badGateway)
            }
        }
    }
}

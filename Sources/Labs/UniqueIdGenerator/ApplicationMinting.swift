import LabKit
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The generator's own application: it creates records all the time, so it mints ids every
/// millisecond — APP_IDS_PER_TICK ids every APP_TICK_MS — as a service that embeds a Snowflake
/// generator does. The ids go to an outbox that the checker drains (`POST /outbox/drain`), so the
/// checker receives every id this process hands out while it lives (a SIGKILL loses what is in the
/// outbox: at most one drain interval of ids, never delivered to anyone).
///
/// Minting every millisecond matters for the lesson: after a clock step back, a generator that
/// trusts its clock walks again through milliseconds it has *all* used, not a few scattered ones.
struct ApplicationMinting: Service {
    let generator: SnowflakeGenerator
    let outbox: Outbox
    let idsPerTick: Int
    let tick: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var refusing = false // log a refusal when it starts and when it ends, not at every tick
            while !Task.isCancelled {
                if outbox.hasRoom {
                    do {
                        outbox.append(try await generator.issue(idsPerTick))
                        if refusing { logger.info("minting again") }
                        refusing = false
                    } catch let refusal as IssueRefusal {
                        if !refusing { logger.warning("not minting: \(refusal)") }
                        refusing = true
                    } catch {
                        return
                    }
                }
                try? await Task.sleep(for: tick)
            }
        }
    }
}

/// Ids minted and not yet delivered; the checker takes them all at each drain. Bounded: when full,
/// the application stops minting rather than drop ids nobody has seen.
final class Outbox: Sendable {
    let capacity: Int
    private let ids = Mutex<[Int64]>([])
    private let issued = Counter(label: "id_generator_ids_issued_total")

    init(capacity: Int) {
        self.capacity = capacity
        issued.increment(by: 0)
    }

    var hasRoom: Bool { ids.withLock { $0.count < capacity } }

    func append(_ new: [Int64]) {
        ids.withLock { $0.append(contentsOf: new) }
        issued.increment(by: new.count)
    }

    /// Ids handed out directly (`GET /ids`), not through the outbox.
    func countHandedOut(_ count: Int) { issued.increment(by: count) }

    func drain() -> [Int64] {
        ids.withLock { ids in
            defer { ids.removeAll(keepingCapacity: true) }
            return ids
        }
    }
}

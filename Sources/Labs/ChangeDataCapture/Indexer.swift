import Foundation
import LabKit
import Logging
import Metrics
import ServiceLifecycle

/// KEY IDEA: a table's changes are a stream, and asking the table "what changed since I last
/// looked?" samples it instead. Polling on a timestamp sees each row as it is at poll time — every
/// version in between is gone — and waits up to a poll interval to see anything. PostgreSQL already
/// writes every committed change, in commit order, to its WAL; a logical replication slot decodes it
/// (wal2json) and keeps it until the consumer confirms. Read (peek), deliver to the index, *then*
/// advance the slot: a consumer killed in between reads the same changes again, never fewer.
enum CaptureMode: String, Sendable, CaseIterable {
    /// Every POLL_MS: rows whose `changed_at_ms` is past the last one seen (a restarted poller starts from now).
    case poll
    /// Every BATCH_MS: the slot's changes (peek), delivered, then the slot advanced to the last commit.
    case logical
}

struct ProductChange: Sendable {
    let id: Int
    let version: Int
    let changedAtMs: Int64

    var json: JSONValue { ["id": .number(Double(id)), "version": .number(Double(version)), "changed_at_ms": .number(Double(changedAtMs))] }
}

enum Indexer {
    static let modeKnob = Knob<CaptureMode>.choice(
        "CDC", default: .poll,
        "how changes reach the index: `poll` (rows changed since the last poll) or `logical` (a logical decoding slot)")
    static let pollKnob = Knob.milliseconds("POLL_MS", default: 1_000, in: 10...600_000, "poll: the time between two polls")
    static let batchKnob = Knob.milliseconds("BATCH_MS", default: 100, in: 10...600_000, "logical: the time between two reads of the slot")
    static let slotKnob = Knob.string("SLOT", default: "search_index", "logical: the replication slot (init.sql creates it)")
    static let knobs: [any LabKnob] = [modeKnob, pollKnob, batchKnob, slotKnob] + LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        guard let db = try service.postgres() else { throw LabStartupError("the indexer needs DATABASE_URL") }
        let search = try service.context.peer("search", timeout: .seconds(5))
        let deliver: @Sendable ([ProductChange]) async throws -> Void = { changes in
            guard !changes.isEmpty else { return }
            let reply = try await search.post("/index", route: "/index", json: ["changes": .array(changes.map(\.json))])
            guard reply.isSuccess else { throw LabStartupError("search answered \(reply.status)") }
            Counter(label: "cdc_changes_delivered_total").increment(by: changes.count)
        }
        Counter(label: "cdc_changes_delivered_total").increment(by: 0)
        switch try service.knobs.read(modeKnob) {
        case .poll:
            service.addService(
                PollingCapture(db: db, interval: try service.knobs.read(pollKnob), deliver: deliver, logger: service.context.logger))
        case .logical:
            service.addService(
                LogicalCapture(
                    db: db, slot: try service.knobs.read(slotKnob), interval: try service.knobs.read(batchKnob), deliver: deliver,
                    logger: service.context.logger))
        }
    }
}

// BEFORE: what changed since the last poll, as it is now.
struct PollingCapture: Service {
    let db: LabPostgres
    let interval: Duration
    let deliver: @Sendable ([ProductChange]) async throws -> Void
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { await poll() }
    }

    private func poll() async {
        let scanned = Counter(label: "cdc_poll_rows_total")
        scanned.increment(by: 0)
        // The cursor lives in memory: a restarted poller starts from now.
        var cursor = Int64(Date().timeIntervalSince1970 * 1000)
        while !Task.isCancelled {
            do {
                let rows = try await db.query(
                    """
                    SELECT id, version, changed_at_ms FROM products WHERE changed_at_ms > \(cursor) ORDER BY changed_at_ms
                    """)
                let changes = try rows.map { row in
                    let (id, version, at) = try row.decode((Int, Int, Int64).self)
                    return ProductChange(id: id, version: version, changedAtMs: at)
                }
                scanned.increment(by: changes.count)
                try await deliver(changes)
                cursor = changes.last?.changedAtMs ?? cursor
            } catch {
                logger.warning("poll failed: \(String(reflecting: error))")
            }
            try? await Task.sleep(for: interval)
        }
    }
}

// AFTER: every committed change, in commit order, from the slot; confirmed only once delivered.
struct LogicalCapture: Service {
    let db: LabPostgres
    let slot: String
    let interval: Duration
    let deliver: @Sendable ([ProductChange]) async throws -> Void
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let decoded = try await db.peekChanges(
                        slot, limit: 2_000, options: ["format-version": "2", "add-tables": "public.products"])
                    let (changes, lastCommit) = Self.parse(decoded)
                    try await deliver(changes)
                    if let lastCommit { try await db.advanceSlot(slot, to: lastCommit) }
                } catch {
                    logger.warning("reading slot \(slot) failed: \(String(reflecting: error))")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// wal2json v2: `{"action":"U","schema":"public","table":"products","columns":[{"name":"id","value":3},…]}`
    /// per row change, `{"action":"C"}` per commit (its row's LSN is where to advance to).
    static func parse(_ decoded: [LabPostgres.DecodedChange]) -> ([ProductChange], lastCommit: String?) {
        var changes: [ProductChange] = []
        var lastCommit: String?
        for change in decoded {
            guard let message = try? JSONValue.parse(Array(change.data.utf8)) else { continue }
            switch message["action"]?.stringValue {
            case "C"?:
                lastCommit = change.lsn
            case "I"?, "U"?:
                guard message["table"]?.stringValue == "products", case .array(let columns)? = message["columns"] else { continue }
                var values: [String: Double] = [:]
                for column in columns {
                    if let name = column["name"]?.stringValue, let value = column["value"]?.doubleValue { values[name] = value }
                }
                if let id = values["id"], let version = values["version"], let at = values["changed_at_ms"] {
                    changes.append(ProductChange(id: Int(id), version: Int(version), changedAtMs: Int64(at)))
                }
            default:
                continue
            }
        }
        return (changes, lastCommit)
    }
}

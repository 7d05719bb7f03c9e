import LabKit
import Logging
import Metrics
import NIOCore

/// The client whose log of acknowledgements is the truth. Each `POST /writes/{key}` (the load
/// generator's request) writes a fresh value to the key through the api and records the version the
/// api acknowledged. `POST /audit` (the scenario calls it once the load has stopped) waits until the
/// last writes in flight were answered and the queue has drained — no entry waiting or pending in
/// Redis, none held by the flusher — then reads every
/// acknowledged key from PostgreSQL and from the cache, and counts:
///
/// - `audit_lost_acknowledged_writes`: acknowledged writes PostgreSQL does not hold (it holds an
///   older version of the key, or none); `audit_keys_losing_writes`: the keys they belong to;
/// - `audit_divergent_keys`: keys whose version in the cache and in PostgreSQL differ;
/// - `audit_acknowledged_writes`: how many acknowledged writes were checked;
///   `audit_drain_seconds`: how long the queue took to drain (`audit_drained` 0: it did not, within 8 s);
/// - `audit_claimed_entries`: entries the flushers claimed from dead ones in the whole run (counted in
///   Redis by the claimers, `writes:stats`, since a claimer may be killed before it is scraped).
///
/// It reads the stores itself (REDIS_URL, DATABASE_URL): the audit does not trust the api.
enum Writer {
    static let valueBytesKnob = Knob.wholeNumber("VALUE_BYTES", default: 32, in: 1...1_024, "the size of each written value")
    static let knobs: [any LabKnob] = [valueBytesKnob] + LabService.redisKnobs + LabPostgres.knobs

    static func build(_ service: LabService) async throws {
        let api = try service.context.peer("api", timeout: .seconds(5))
        let flusher = try service.context.peer("flusher", timeout: .seconds(2))
        guard let redis = try service.redis() else { throw LabStartupError("the writer needs REDIS_URL to audit the cache") }
        guard let db = try service.postgres() else { throw LabStartupError("the writer needs DATABASE_URL to audit the database") }
        let items = ItemRows(db: db)
        let valueBytes = try service.knobs.read(valueBytesKnob)
        let log = AcknowledgedWrites()
        let logger = service.context.logger

        let writes = { @Sendable (outcome: String) in Counter(label: "writer_writes_total", dimensions: [("outcome", outcome)]) }
        for outcome in ["acknowledged", "failed"] { writes(outcome).increment(by: 0) }
        let gauges = DivergenceAuditGauges()

        service.router.post("/writes/:key") { _, context -> Response in
            guard let key = context.parameters.get("key"), CacheApi.isValidKey(key) else {
                return .jsonError("the key must be 1 to 64 letters, digits, '-' or '_'", status: .badRequest)
            }
            let value = randomValue(valueBytes)
            log.sending()
            defer { log.answered() }
            do {
                let reply = try await api.send(.PUT, "/items/\(key)", route: "/items/{key}", body: ByteBuffer(string: value))
                guard reply.isSuccess, case .number(let version)? = reply.json["version"] else {
                    throw PeerError.unavailable(peer: "api", reason: "HTTP \(reply.status) \(reply.text)")
                }
                log.record(key: key, version: Int(version))
                writes("acknowledged").increment()
                return .json(["key": .string(key), "version": .number(version)], status: .created)
            } catch {
                writes("failed").increment()
                return .jsonError("write \(key): \(error)", status: .badGateway)
            }
        }

        /// The audit itself: drain, then the log against both stores; records the gauges.
        let runAudit = { @Sendable () async throws -> JSONValue in
            let start = ContinuousClock.now
            let drained = try await waitUntilDrained(
                flusher: flusher, writesInFlight: { log.inFlight }, timeout: .seconds(8), logger: logger)
            let drainSeconds =
                Double((ContinuousClock.now - start).components.seconds)
                + Double((ContinuousClock.now - start).components.attoseconds) / 1e18
            let keys = log.keys
            let database = try await items.read(keys)
            var cache: [String: Int] = [:]
            for start in stride(from: 0, to: keys.count, by: 1_000) {
                let chunk = Array(keys[start..<min(start + 1_000, keys.count)])
                let replies = try await redis.pipeline(chunk.map { ["HGET", RedisArgument(CacheKeys.item($0)), "version"] })
                for (key, reply) in zip(chunk, replies) { if let version = reply.string.flatMap({ Int($0) }) { cache[key] = version } }
            }
            let audit = log.audit(database: database, cache: cache)
            let claimed = try await redis.hget(CacheKeys.stats, "claimed").flatMap { Int($0) } ?? 0
            gauges.record(audit, drained: drained, drainSeconds: drainSeconds)
            gauges.claimed.record(claimed)
            logger.info(
                "audit",
                metadata: [
                    "acknowledged": "\(audit.acknowledgedWrites)", "lost": "\(audit.lostWrites)",
                    "keys_losing": "\(audit.keysLosingWrites)",
                    "divergent_keys": "\(audit.divergentKeys)", "drained": "\(drained)",
                ])
            return [
                "keys": .number(Double(audit.keys)), "acknowledged_writes": .number(Double(audit.acknowledgedWrites)),
                "lost_acknowledged_writes": .number(Double(audit.lostWrites)),
                "keys_losing_writes": .number(Double(audit.keysLosingWrites)),
                "divergent_keys": .number(Double(audit.divergentKeys)), "drained": .bool(drained),
                "drain_seconds": .number(drainSeconds), "claimed_entries": .number(Double(claimed)),
            ]
        }

        // `?background=true` (what the scenario calls): answers 202 at once and audits in the
        // background — the drain may take longer than a caller waits; the gauges carry the result.
        service.router.post("/audit") { request, _ -> Response in
            switch request.uri.queryParameters.get("background") {
            case nil, "false":
                return .json(try await runAudit())
            case "true":
                Task {
                    do { _ = try await runAudit() } catch { logger.warning("audit: \(error)") }
                }
                return .json(["started": .bool(true)], status: .accepted)
            case let other?:
                return .jsonError("background must be true or false, not '\(other)'", status: .badRequest)
            }
        }
    }

    /// Until no write is in flight and the flusher reports an empty queue (nothing waiting or pending
    /// in Redis) and nothing held in its memory, twice in a row; false if that did not happen within
    /// `timeout`. (A write still in flight could be committed after the audit read its key.)
    static func waitUntilDrained(
        flusher: PeerClient, writesInFlight: () -> Int, timeout: Duration, logger: Logger
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        var emptyInARow = 0
        var last = ""
        defer {
            if emptyInARow < 2 { logger.warning("not drained after \(timeout): \(writesInFlight()) writes in flight, flusher \(last)") }
        }
        while ContinuousClock.now < deadline {
            let reply = try? await flusher.get("/status", route: "/status", timeout: .seconds(1))
            last = reply.map { "\($0.status) \($0.text)" } ?? "did not answer"
            if let reply, reply.isSuccess,
                case .number(let held)? = reply.json["held"], case .number(let length)? = reply.json["queue_length"],
                case .number(let pending)? = reply.json["pending"]
            {
                let empty = writesInFlight() == 0 && held == 0 && length == 0 && pending == 0
                emptyInARow = empty ? emptyInARow + 1 : 0
                if emptyInARow >= 2 { return true }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        return false
    }

    static func randomValue(_ bytes: Int) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<bytes).map { _ in letters.randomElement()! })
    }
}

struct DivergenceAuditGauges: Sendable {
    let lost = Gauge(label: "audit_lost_acknowledged_writes")
    let keysLosing = Gauge(label: "audit_keys_losing_writes")
    let divergent = Gauge(label: "audit_divergent_keys")
    let checked = Gauge(label: "audit_acknowledged_writes")
    let drained = Gauge(label: "audit_drained")
    let drainSeconds = Gauge(label: "audit_drain_seconds")
    let claimed = Gauge(label: "audit_claimed_entries")

    init() {
        record(AcknowledgedWrites.Audit(), drained: false, drainSeconds: 0)
        claimed.record(0)
    }

    func record(_ audit: AcknowledgedWrites.Audit, drained isDrained: Bool, drainSeconds seconds: Double) {
        lost.record(audit.lostWrites)
        keysLosing.record(audit.keysLosingWrites)
        divergent.record(audit.divergentKeys)
        checked.record(audit.acknowledgedWrites)
        drained.record(isDrained ? 1 : 0)
        drainSeconds.record(seconds)
    }
}

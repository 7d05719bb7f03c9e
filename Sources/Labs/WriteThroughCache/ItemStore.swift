import LabKit

/// KEY IDEA: a cache is a second copy of the data, and two copies updated by concurrent requests
/// drift apart unless every update says which version it carries. Cache-aside ("write the row,
/// delete the cache entry; readers fill it on a miss") lets a reader that loaded the row just BEFORE
/// a write put that old row back into the cache just AFTER the write deleted it: from then on every
/// reader gets the old version, although the new one was acknowledged. Write-through (the writer
/// sets the entry itself) keeps the cache warm, but entries still expire, and a reader refilling an
/// expired entry makes the same blind overwrite. Versioned write-through — writers and fillers both
/// "set if newer", atomically in Redis, against a version that outlives the entry — makes the
/// cached version only go up, so no read returns less than the last acknowledged write.
///
///     PUT /items/{id} {"version": n, "value": "…"}   write path: PostgreSQL, then Redis, then 200
///     GET /items/{id}                                read path: Redis; on a miss PostgreSQL, then fill Redis
enum ItemStore {
    // The time between loading a row and putting it in the cache. In production: a slow
    // serialisation, a GC pause, a descheduled thread, a cross-zone hop. Here a sleep, so the race
    // window is the same on every machine.
    static let fillDelayKnob = Knob.milliseconds(
        "FILL_DELAY_MS", default: 100, in: 0...60_000,
        "a reader's time between loading a row and putting it in the cache (`fill_delay_ms` in PUT /admin/config overrides it)")
    // Entries expire, as in any cache with bounded memory; an expired entry is a miss, and every
    // miss opens the race window again.
    static let ttlKnob = Knob.milliseconds(
        "CACHE_TTL_MS", default: 250, in: 1...86_400_000, "a cache entry expires this long after it was written")
    static let knobs: [any LabKnob] = [CacheStrategy.knob, fillDelayKnob, ttlKnob] + LabPostgres.knobs + LabService.redisKnobs

    static func build(_ service: LabService) async throws {
        let strategy = try service.knobs.read(CacheStrategy.knob)
        let fillDelayMs = Int(try service.knobs.read(fillDelayKnob) / .milliseconds(1))
        let ttl = try service.knobs.read(ttlKnob)
        guard let db = try service.postgres() else {
            throw LabStartupError("DATABASE_URL is not set: the store keeps its items in PostgreSQL")
        }
        guard let redis = try service.redis() else { throw LabStartupError("REDIS_URL is not set: the store caches its items in Redis") }
        let table = ItemsTable(db: db)
        let cache = ItemCache(redis: redis, ttl: ttl)
        let meter = CacheMeter()
        let config = service.context.config

        // The write path: the row first (the source of truth), then the cache, then the acknowledgement.
        service.router.put("/items/:id") { request, context -> Response in
            var request = request
            guard let id = context.parameters.get("id", as: Int.self) else {
                return .jsonError("id: expected an integer", status: .badRequest)
            }
            let body = try await request.collectBody(upTo: 64 * 1024)
            guard let json = try? JSONValue.parse(body.readableBytesView), let version = json["version"]?.intValue, version > 0 else {
                return .jsonError("body: expected {\"version\": positive integer, \"value\": string}", status: .badRequest)
            }
            let item = Item(version: version, value: json["value"]?.stringValue ?? "v\(version)")
            try await table.write(id, item)
            switch strategy {
            case .cacheAside:
                try await cache.delete(id)
                meter.updated(.write, .deleted)
            case .writeThrough:
                try await cache.set(id, item)
                meter.updated(.write, .written)
            case .versioned:
                meter.updated(.write, .init(try await cache.setIfNewer(id, item)))
            }
            return .json(["id": .number(Double(id)), "version": .number(Double(version))])
        }

        // The read path: the cache, or the row and a fill.
        service.router.get("/items/:id") { _, context -> Response in
            guard let id = context.parameters.get("id", as: Int.self) else {
                return .jsonError("id: expected an integer", status: .badRequest)
            }
            if let cached = try await cache.get(id) {
                meter.looked(hit: true)
                context.span?.attributes["cache.hit"] = true
                return reply(id, cached, source: "cache")
            }
            meter.looked(hit: false)
            context.span?.attributes["cache.hit"] = false
            let row = try await table.read(id)
            let delay = config.int("fill_delay_ms", default: fillDelayMs) ?? fillDelayMs
            if delay > 0 {
                try await withSpan("fill window") { _ in try await Task.sleep(for: .milliseconds(delay)) }
            }
            switch strategy {
            case .cacheAside, .writeThrough:
                try await cache.set(id, row) // blind: may overwrite a newer entry a writer just made
                meter.updated(.fill, .written)
            case .versioned:
                // Refused if a writer cached a newer version while we held the old row.
                meter.updated(.fill, .init(try await cache.setIfNewer(id, row)))
            }
            return reply(id, row, source: "db")
        }
    }

    private static func reply(_ id: Int, _ item: Item, source: String) -> Response {
        .json([
            "id": .number(Double(id)), "version": .number(Double(item.version)), "value": .string(item.value), "source": .string(source),
        ])
    }
}

/// `cache_requests_total{result="hit|miss"}` and `cache_updates_total{path="write|fill",
/// outcome="written|deleted|current|refused"}` ("set if newer" found the same version cached:
/// current; a newer one: refused — a race the version check stopped).
/// Every series exists from the start (at 0), so rates and dashboards have data in every variant.
final class CacheMeter: Sendable {
    enum Path: String, CaseIterable { case write, fill }
    enum Outcome: String, CaseIterable {
        case written, deleted, current, refused

        init(_ outcome: ItemCache.Outcome) {
            switch outcome {
            case .written: self = .written
            case .current: self = .current
            case .refused: self = .refused
            }
        }
    }

    private let hits = Counter(label: "cache_requests_total", dimensions: [("result", "hit")])
    private let misses = Counter(label: "cache_requests_total", dimensions: [("result", "miss")])
    private let updates: [String: Counter]

    init() {
        var updates: [String: Counter] = [:]
        for path in Path.allCases {
            for outcome in Outcome.allCases {
                updates["\(path)/\(outcome)"] = Counter(
                    label: "cache_updates_total", dimensions: [("path", path.rawValue), ("outcome", outcome.rawValue)])
            }
        }
        self.updates = updates
    }

    func looked(hit: Bool) { (hit ? hits : misses).increment() }
    func updated(_ path: Path, _ outcome: Outcome) { updates["\(path)/\(outcome)"]?.increment() }
}

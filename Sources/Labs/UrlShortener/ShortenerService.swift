import LabKit

/// KEY IDEA: a short code is a TRUNCATED hash of the long URL, so two different URLs can get the same
/// code — and with n URLs and 2^bits codes, about n² / (2 · 2^bits) pairs do (the birthday bound), long
/// before the code space is anywhere near full. The database's uniqueness check (the primary key on
/// `code`) notices every such collision, but only if the code LOOKS at its answer: `INSERT … ON CONFLICT
/// DO NOTHING` that hands the code out anyway, and then caches it, silently sends the older link's
/// visitors to the newer URL. The fix reads what the insert did and re-keys a URL whose code another
/// URL holds. Redirects are served cache-aside (Redis, then PostgreSQL), which is what makes them fast —
/// and what makes a wrong entry in the cache so convincing.
///
///     POST /urls      {"url": "https://…"} or {"urls": ["https://…", …]}  → 201 {"links": [{"code", "url", "short_url"}]}
///     GET  /r/{code}  → 302 Location: the long URL (Cache-Control: no-cache → read from PostgreSQL)
///     POST /resolve   {"codes": [...]} → {"targets": {code: url or null}} (the audit: the redirect's lookup, many at once)
enum ShortenerService {
    static let maxURLLength = 2_048
    static let maxBatch = 1_000

    static func build(_ service: LabService) async throws {
        let settings = try ShortenerSettings(service.knobs)
        guard let db = try service.postgres() else { throw LabStartupError("DATABASE_URL is not set: the shortener needs PostgreSQL") }
        var cache: LinkCache?
        if settings.cacheEnabled {
            guard let redis = try service.redis() else { throw LabStartupError("CACHE=on needs REDIS_URL") }
            cache = LinkCache(redis: redis, ttlMilliseconds: settings.cacheTTLMilliseconds)
        }
        let codes = ShortCodes(bits: settings.codeBits)
        let store = LinkStore(db: db, lookupCostSeconds: Double(settings.lookupCostMilliseconds) / 1000)
        let creator = CreateLinks(codes: codes, strategy: settings.strategy, maxRekeys: settings.maxRekeys, store: store, cache: cache)
        let resolver = ResolveLinks(store: store, cache: cache, logger: service.context.logger)
        LinkStore.registerMetrics()
        LinkCache.registerMetrics()
        CreateLinks.registerMetrics()
        Gauge(label: "short_code_bits").record(settings.codeBits)
        Gauge(label: "short_code_space").record(codes.space)
        // The redirect's own time, by how it read: `cache-aside` (Redis, then PostgreSQL on a miss) or
        // `no-cache` (PostgreSQL only). Fine buckets: a Redis hit takes well under a millisecond.
        service.telemetry.registry.configureBuckets(forMetric: "redirect_duration_seconds", RedisClient.durationBuckets)
        let redirectTime = { @Sendable (read: String) in
            Timer(label: "redirect_duration_seconds", dimensions: [("read", read)], preferredDisplayUnit: .seconds)
        }

        service.router.post("/urls") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 4 * 1024 * 1024)
            let urls: [String]
            do { urls = try Self.urls(in: body) } catch { return .jsonError("\(error)", status: .badRequest) }
            let links: [Link]
            do { links = try await creator.create(urls) } catch let error as CreateLinks.OutOfCodes {
                return .jsonError(error.description, status: .serviceUnavailable)
            }
            let items = links.map { ShortenerMessages.CreatedLinks.Item(code: $0.code, url: $0.url, short_url: "/r/\($0.code)") }
            return try ShortenerMessages.encode(ShortenerMessages.CreatedLinks(links: items), status: .created)
        }

        service.router.get("/r/:code") { request, context -> Response in
            let code = context.parameters.get("code") ?? ""
            guard codes.isWellFormed(code) else {
                return .jsonError(
                    "'\(code)' is not a short code: expected \(codes.length) characters of 0-9, A-Z, a-z", status: .badRequest)
            }
            let bypass = request.headers[.cacheControl]?.contains("no-cache") ?? false
            let started = ContinuousClock.now
            let target = try await resolver.resolve([code], bypassCache: bypass)[code]
            redirectTime(bypass || !settings.cacheEnabled ? "no-cache" : "cache-aside").recordInterval(since: started)
            guard let url = target else {
                return .jsonError("no link has the code \(code)", status: .notFound)
            }
            return Response(status: .found, headers: [.location: url])
        }

        service.router.post("/resolve") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1024 * 1024)
            guard let asked = try? ShortenerMessages.decode(ShortenerMessages.ResolveRequest.self, body).codes, asked.count <= maxBatch
            else { return .jsonError("expected {\"codes\": [up to \(maxBatch) strings]}", status: .badRequest) }
            let wellFormed = asked.filter(codes.isWellFormed)
            let targets = try await resolver.resolve(Array(Set(wellFormed)))
            var answer: [String: String?] = [:]
            for code in asked { answer[code] = .some(targets[code]) }
            return try ShortenerMessages.encode(ShortenerMessages.Resolved(targets: answer), status: .ok)
        }
    }

    /// The URLs of a create request: `{"url": …}` or `{"urls": [...]}`, each http(s) and at most 2 KB.
    static func urls(in body: ByteBuffer) throws -> [String] {
        let request = try? ShortenerMessages.decode(ShortenerMessages.CreateRequest.self, body)
        guard let urls = request?.urls ?? request?.url.map({ [$0] }) else {
            throw JSONFieldError("expected {\"url\": \"https://…\"} or {\"urls\": [\"https://…\", …]}")
        }
        guard !urls.isEmpty, urls.count <= maxBatch else { throw JSONFieldError(field: "urls", "expected 1 to \(maxBatch) URLs") }
        for url in urls {
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.utf8.count <= maxURLLength,
                !url.contains(where: \.isWhitespace)
            else { throw JSONFieldError("not an http(s) URL of at most \(maxURLLength) bytes without spaces: \(url.prefix(80))") }
        }
        return urls
    }
}

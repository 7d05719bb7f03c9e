import LabKit

/// One short link: the code and the long URL it redirects to.
struct Link: Sendable, Hashable {
    var code: String
    var url: String
}

/// PostgreSQL, the source of truth: `links(code PRIMARY KEY, url)` (labs/05-url-shortener/init.sql).
/// The primary key is the uniqueness check; what the code does with its answer is the lesson.
struct LinkStore: Sendable {
    let db: LabPostgres
    /// The mean seconds one redirect lookup sleeps inside PostgreSQL: a stand-in for a database that is
    /// busy and a network hop away (here it answers a primary-key lookup in well under a millisecond).
    let lookupCostSeconds: Double

    private static let inserts = Counter(label: "db_queries_total", dimensions: [("operation", "insert")])
    private static let conflictChecks = Counter(label: "db_queries_total", dimensions: [("operation", "conflict_check")])
    private static let lookups = Counter(label: "db_queries_total", dimensions: [("operation", "lookup")])

    static func registerMetrics() {
        for counter in [inserts, conflictChecks, lookups] { counter.increment(by: 0) }
    }

    /// `INSERT … ON CONFLICT (code) DO NOTHING` for every link at once. Returns the links that were
    /// inserted; a link missing from the answer was NOT stored, because its code was already taken
    /// (by another link, or by an earlier row of this same batch).
    @discardableResult
    func insertIgnoringConflicts(_ links: [Link]) async throws -> Set<Link> {
        guard !links.isEmpty else { return [] }
        Self.inserts.increment()
        let codes = links.map(\.code)
        let urls = links.map(\.url)
        let rows = try await db.query(
            """
            INSERT INTO links (code, url) SELECT * FROM unnest(\(codes)::text[], \(urls)::text[])
            ON CONFLICT (code) DO NOTHING RETURNING code, url
            """)
        var inserted = Set<Link>()
        for row in rows {
            let (code, url) = try row.decode((String, String).self)
            inserted.insert(Link(code: code, url: url))
        }
        return inserted
    }

    /// The URL each of `codes` holds now (the create path asks this after a conflict; no lookup cost).
    func holders(of codes: [String]) async throws -> [String: String] {
        guard !codes.isEmpty else { return [:] }
        Self.conflictChecks.increment()
        return try await targets(
            try await db.query("SELECT code, url FROM links WHERE code = ANY(\(codes)::text[])"))
    }

    /// The redirect's database read: the URL of each code that exists (one query, one lookup cost).
    /// `-ln(1 - random())` is an exponential draw with mean 1: most lookups are quick, a few are slow.
    func lookup(_ codes: [String]) async throws -> [String: String] {
        guard !codes.isEmpty else { return [:] }
        Self.lookups.increment()
        let cost = lookupCostSeconds
        return try await targets(
            try await db.query(
                """
                SELECT code, url FROM links, pg_sleep(least(-ln(1 - random()) * \(cost)::float8, 10 * \(cost)::float8))
                WHERE code = ANY(\(codes)::text[])
                """))
    }

    private func targets(_ rows: [PostgresRow]) async throws -> [String: String] {
        var found: [String: String] = [:]
        for row in rows {
            let (code, url) = try row.decode((String, String).self)
            found[code] = url
        }
        return found
    }
}

import LabKit
import Metrics
import PostgresNIO
import Synchronization

/// What the catalog shows for one product: the product and its rating, each review weighted by how
/// helpful its author's reviews are across the catalog. Building it takes a transaction of three
/// statements, one of them over about 5,000 rows (the product's 100 reviews, then every review of each of their authors).
struct CatalogPage: Sendable {
    let id: Int
    let name: String
    let price: Double
    let reviews: Int
    let weightedStars: Double
    let topReview: String

    /// The answer to `GET /products/{id}`, with the live stock read for this request.
    func json(inStock: Int) -> JSONValue {
        [
            "id": .number(Double(id)), "name": .string(name), "price": .number(price), "reviews": .number(Double(reviews)),
            "weighted_stars": .number((weightedStars * 100).rounded() / 100), "top_review": .string(topReview),
            "in_stock": .number(Double(inStock)),
        ]
    }
}

/// The replica's own cache of product pages, in its memory: a new process starts with it empty, and
/// every miss is a query to PostgreSQL through the replica's pool. Pages do not change during the
/// lab, so a cached page never expires.
final class ProductPageCache: Sendable {
    private let db: LabPostgres
    private let pages = Mutex<[Int: CatalogPage]>([:])
    private let hits = Counter(label: "catalog_cache_requests_total", dimensions: [("result", "hit")])
    private let misses = Counter(label: "catalog_cache_requests_total", dimensions: [("result", "miss")])
    private let size = Gauge(label: "catalog_cache_pages")

    init(db: LabPostgres) {
        self.db = db
        hits.increment(by: 0)
        misses.increment(by: 0)
        size.record(0)
    }

    /// The page from the cache, or built from PostgreSQL and kept; nil for a product that does not exist.
    func page(_ id: Int) async throws -> CatalogPage? {
        if let page = pages.withLock({ $0[id] }) {
            hits.increment()
            return page
        }
        misses.increment()
        // One read-only transaction, so the page is one consistent snapshot: BEGIN, the product, its
        // rating (its reviews weighted by each author's whole history), its most helpful review,
        // COMMIT. Five round trips to a database in another zone, on one connection held throughout.
        let built = try await db.transaction(isolation: .repeatableRead) { tx -> CatalogPage? in
            guard let product = try await tx.query("SELECT name, price::float8 FROM products WHERE id = \(id)").first else { return nil }
            let (name, price) = try product.decode((String, Double).self)
            let rating = try await tx.query(
                """
                SELECT count(r.id)::int, coalesce(sum(r.stars * a.weight) / nullif(sum(a.weight), 0), 0)::float8
                FROM reviews r
                JOIN LATERAL (SELECT avg(helpful)::float8 AS weight FROM reviews WHERE author = r.author) a ON true
                WHERE r.product_id = \(id)
                """)
            let (reviews, stars) = try rating.first.map { try $0.decode((Int, Double).self) } ?? (0, 0)
            let top = try await tx.query("SELECT body FROM reviews WHERE product_id = \(id) ORDER BY helpful DESC LIMIT 1")
            let topReview = try top.first.map { try $0.decode(String.self) } ?? ""
            return CatalogPage(id: id, name: name, price: price, reviews: reviews, weightedStars: stars, topReview: topReview)
        }
        guard let page = built else { return nil }
        store([page])
        return page
    }

    /// Builds every product's page in one query, two scans and a join (the warm-up before a replica says
    /// it is ready): a few hundred milliseconds, where 1,000 misses one by one cost tens of seconds.
    func preload() async throws -> Int {
        let rows = try await db.query(
            """
            WITH authors AS (
                SELECT author, avg(helpful)::float8 AS weight FROM reviews GROUP BY author
            ), ratings AS (
                SELECT r.product_id, count(*)::int AS reviews, sum(r.stars * a.weight) / nullif(sum(a.weight), 0) AS stars
                FROM reviews r JOIN authors a USING (author) GROUP BY r.product_id
            ), top AS (
                SELECT DISTINCT ON (product_id) product_id, body FROM reviews ORDER BY product_id, helpful DESC
            )
            SELECT p.id, p.name, p.price::float8, coalesce(s.reviews, 0), coalesce(s.stars, 0)::float8, coalesce(t.body, '')
            FROM products p LEFT JOIN ratings s ON s.product_id = p.id LEFT JOIN top t ON t.product_id = p.id
            """)
        let loaded = try rows.map(Self.page)
        store(loaded)
        return loaded.count
    }

    var count: Int { pages.withLock { $0.count } }

    private func store(_ loaded: [CatalogPage]) {
        let count = pages.withLock { pages in
            for page in loaded { pages[page.id] = page }
            return pages.count
        }
        size.record(count)
    }

    private static func page(_ row: PostgresRow) throws -> CatalogPage {
        let (id, name, price, reviews, stars, top) = try row.decode((Int, String, Double, Int, Double, String).self)
        return CatalogPage(id: id, name: name, price: price, reviews: reviews, weightedStars: stars, topReview: top)
    }
}

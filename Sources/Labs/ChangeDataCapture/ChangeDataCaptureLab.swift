import LabKit

/// Week 27: change data capture.
///
///     load generator → writer POST /products/{id}/price → PostgreSQL products
///     indexer: products' changes → search POST /index        (CDC=poll: updated since the last poll; CDC=logical: the slot)
///     search: the index; counts the versions it saw and how late
enum ChangeDataCaptureLab {
    static let roles: [LabServiceRegistry.Role] = [
        .init(
            "writer", "POST /products/{id}/price: a new version of the product; product_versions_committed (SQL)",
            build: ProductWriter.build),
        .init(
            "indexer", "keeps the search index in step: CDC=poll (POLL_MS) or logical (a wal2json slot, peek then advance)",
            build: Indexer.build),
        .init("search", "POST /index: the index; index_versions_seen, cdc_detection_lag_seconds", build: SearchIndex.build),
    ]
    static let knobs: [String: [any LabKnob]] = ["writer": ProductWriter.knobs, "indexer": Indexer.knobs, "search": SearchIndex.knobs]
}

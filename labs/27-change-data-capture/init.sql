-- Week 27: 10 products whose price changes many times a second. Every committed update is a new
-- version (1, 2, 3, … per product); the search index should see every one of them.
CREATE TABLE products (
    id            int PRIMARY KEY,
    price         bigint NOT NULL,
    version       int NOT NULL DEFAULT 0,
    changed_at_ms bigint NOT NULL DEFAULT 0   -- when the version was written (epoch ms)
);
INSERT INTO products (id, price) SELECT g, 1000 FROM generate_series(1, 10) AS g;
CREATE INDEX products_changed ON products (changed_at_ms);

-- The logical replication slot the indexer reads (wal_level = logical; the wal2json plugin).
SELECT pg_create_logical_replication_slot('search_index', 'wal2json');

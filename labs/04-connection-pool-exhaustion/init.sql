-- Week 4: a small catalog. The fast path reads one row by primary key; the slow path is a report.
CREATE TABLE IF NOT EXISTS items (
    id          integer PRIMARY KEY,
    name        text    NOT NULL,
    price_cents integer NOT NULL
);
INSERT INTO items (id, name, price_cents)
SELECT i, 'item ' || i, 100 + (i * 37) % 9900 FROM generate_series(1, 1000) AS i
ON CONFLICT (id) DO NOTHING;

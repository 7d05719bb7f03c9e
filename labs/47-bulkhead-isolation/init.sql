-- Week 47: the items both dependencies read. The catalog looks one up by primary key (a few ms); a
-- report reads the same row inside a query that sleeps (pg_sleep): the slow dependency.
CREATE TABLE IF NOT EXISTS items (
    id          integer PRIMARY KEY,
    name        text    NOT NULL,
    price_cents integer NOT NULL
);
INSERT INTO items (id, name, price_cents)
SELECT i, 'item ' || i, 100 + (i * 37) % 9900 FROM generate_series(1, 1000) AS i
ON CONFLICT (id) DO NOTHING;

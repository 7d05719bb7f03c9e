-- Week 21: a shop with two sales.
--   flash:   5 items × 60 units; the load asks for ~3× that, so every item sells out (oversell shows here)
--   catalog: 2 items with a million units each; the contended phase hammers them (throughput under contention)
-- The CHECK looks like protection, but the naive path never writes a negative number: it writes
-- "what I read − 1", which is ≥ 0 even when someone else already sold that unit.
CREATE TABLE items (
    sale          text    NOT NULL,
    id            int     NOT NULL,
    initial_stock int     NOT NULL,
    stock         int     NOT NULL CHECK (stock >= 0),
    price_cents   int     NOT NULL,
    PRIMARY KEY (sale, id)
);

CREATE TABLE orders (
    id         bigserial   PRIMARY KEY,
    sale       text        NOT NULL,
    item_id    int         NOT NULL,
    strategy   text        NOT NULL,
    ordered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    FOREIGN KEY (sale, item_id) REFERENCES items (sale, id)
);

INSERT INTO items (sale, id, initial_stock, stock, price_cents)
SELECT 'flash', g, 60, 60, 4999 FROM generate_series(1, 5) AS g;

INSERT INTO items (sale, id, initial_stock, stock, price_cents)
SELECT 'catalog', g, 1000000, 1000000, 1999 FROM generate_series(1, 2) AS g;

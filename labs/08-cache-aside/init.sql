-- Week 8 — cache-aside: the catalogue the cache sits in front of. 10,000 products; the load generator
-- reads the first 500 with Zipf-skewed popularity (a few are hot, most are rarely read).
-- `version` starts at 1 and every update adds one, so each read can say which write it saw.
CREATE TABLE products (
    id          integer PRIMARY KEY,
    name        text          NOT NULL,
    description text          NOT NULL,
    price       numeric(10,2) NOT NULL,
    version     integer       NOT NULL DEFAULT 1,
    updated_at  timestamptz   NOT NULL DEFAULT now()
);

INSERT INTO products (id, name, description, price)
SELECT g, 'product ' || g, repeat('A fine product, described at length. ', 8), round((1 + random() * 99)::numeric, 2)
FROM generate_series(1, 10000) AS g;

ANALYZE products;

-- Week 43 — consistent hash ring: the items the cache tier keeps in front of PostgreSQL. 5,000 rows,
-- requested uniformly; the api warms the tier with all of them (one query) before the lab starts.
CREATE TABLE items (
    id    integer PRIMARY KEY,
    name  text          NOT NULL,
    price numeric(10,2) NOT NULL
);

INSERT INTO items (id, name, price)
SELECT g, 'item ' || g, round((1 + random() * 99)::numeric, 2)
FROM generate_series(1, 5000) AS g;

ANALYZE items;

-- Week 12 — thundering herd: the orders the hot report aggregates (50,000 orders in 20 regions).
CREATE TABLE orders (
    id        bigserial     PRIMARY KEY,
    region    integer       NOT NULL,
    amount    numeric(10,2) NOT NULL,
    placed_at timestamptz   NOT NULL
);

INSERT INTO orders (region, amount, placed_at)
SELECT g % 20, round((1 + random() * 199)::numeric, 2), now() - make_interval(secs => g)
FROM generate_series(1, 50000) AS g;

CREATE INDEX orders_region ON orders (region);
ANALYZE orders;

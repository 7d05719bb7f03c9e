-- Week 30: the orders the api acknowledges. Every acknowledged id must survive a failover.
CREATE TABLE orders (
    id         bigint PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);

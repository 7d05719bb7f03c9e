-- A million taken user names: user1 … user1000000. The primary key is built after the load (one sort
-- instead of a million index insertions); VACUUM makes the name lookups index-only scans.
CREATE TABLE users (
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO users (name) SELECT 'user' || g FROM generate_series(1, 1000000) AS g;
ALTER TABLE users ADD PRIMARY KEY (name);
VACUUM ANALYZE users;

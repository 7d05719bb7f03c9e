-- Week 50: the links the load follows (code = the load generator's key), each with its click counter.
CREATE TABLE links (
    code text PRIMARY KEY,
    url text NOT NULL,
    clicks bigint NOT NULL DEFAULT 0
);
INSERT INTO links (code, url)
SELECT i::text, 'https://example.com/articles/' || i FROM generate_series(0, 2000) AS i;

-- before: one row per click, written in the redirect's own transaction.
CREATE TABLE click_events (
    id bigserial PRIMARY KEY,
    code text NOT NULL,
    client text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);

-- after: every click batch the analytics consumer counted (a redelivered batch is counted once).
CREATE TABLE click_batches (
    id text PRIMARY KEY,
    clicks int NOT NULL,
    counted_at timestamptz NOT NULL DEFAULT now()
);

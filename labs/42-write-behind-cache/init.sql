-- Week 42: the system of record. A row holds the value of the highest version written so far
-- (the flusher's upsert changes a row only for a higher version).
CREATE TABLE items (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    version    bigint NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now()
);

-- Week 3: the source of truth behind the cache. Applied by the runtime once the database exists.
-- `version` is the writer's number for the row (1, 2, 3, … per item); the store's upsert never
-- replaces a newer version with an older one.
CREATE TABLE IF NOT EXISTS items (
    id         integer     PRIMARY KEY,
    version    integer     NOT NULL CHECK (version >= 0),
    value      text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

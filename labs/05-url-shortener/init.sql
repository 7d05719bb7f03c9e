-- Week 5 — the shortener's one table. The primary key on `code` is the uniqueness check: an insert
-- of a code another URL already holds is refused (with ON CONFLICT DO NOTHING: silently skipped).
CREATE TABLE links (
    code       text        PRIMARY KEY,
    url        text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

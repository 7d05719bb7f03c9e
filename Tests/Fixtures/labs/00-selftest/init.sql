-- Applied by the runtime right after the database is created (the backend also creates it if missing).
CREATE TABLE IF NOT EXISTS selftest_visits (
    id bigserial PRIMARY KEY,
    service text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);

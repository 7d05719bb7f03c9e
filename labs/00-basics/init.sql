-- Week 0: the api stores every request it receives before calling the worker.
CREATE TABLE IF NOT EXISTS requests (
    id          bigserial   PRIMARY KEY,
    path        text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

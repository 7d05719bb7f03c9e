-- Week 24: a job queue in PostgreSQL. Every run of a job writes one row to executions (its effect);
-- every claim writes one row to claims (who took it, when, which attempt).
CREATE TABLE jobs (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL DEFAULT 'task',      -- 'task' (enqueued by the api) or 'report' (the recurring job)
    slot        bigint,                             -- report: the schedule slot it runs for
    status      text NOT NULL DEFAULT 'queued',    -- queued, running, done
    worker      text,
    attempt     int NOT NULL DEFAULT 0,
    lease_until timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_status ON jobs (status, id);

CREATE TABLE claims (
    job_id     bigint NOT NULL,
    attempt    int NOT NULL,
    worker     text NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE executions (
    job_id     bigint NOT NULL,
    worker     text NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

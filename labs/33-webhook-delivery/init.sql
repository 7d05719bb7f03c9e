-- Week 33: webhook delivery. The ledger (produced, received) is the lab's own audit and exists in
-- both variants; outbox and dead_letters are the sender's durable queue (QUEUE=outbox, the after).
CREATE TABLE produced (                       -- every event the sender accepted (202), by the producer
    event_id    text PRIMARY KEY,
    endpoint    text NOT NULL,
    accepted_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE received (                       -- every event a receiver accepted (signature valid)
    event_id    text PRIMARY KEY,
    receiver    text NOT NULL,
    deliveries  int NOT NULL DEFAULT 1,       -- > 1: delivered again (at-least-once)
    first_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE outbox (                         -- pending deliveries; a delivered row is deleted
    event_id        text PRIMARY KEY,
    endpoint        text NOT NULL,
    payload         text NOT NULL,            -- the exact bytes that are sent and signed
    attempts        int NOT NULL DEFAULT 0,   -- real attempts (a call the breaker refused is not one)
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_due ON outbox (next_attempt_at);

CREATE TABLE dead_letters (                   -- given up: kept for a human, never silently dropped
    event_id    text PRIMARY KEY,
    endpoint    text NOT NULL,
    payload     text NOT NULL,
    attempts    int NOT NULL,
    reason      text NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);

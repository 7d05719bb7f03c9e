-- Week 38: the producer's payments (and, after, its outbox), the consumer's effect (credits to
-- accounts, one ledger row per credit applied) and its inbox, and the history the auditor reads.

-- The producer's record of every payment it accepted (202): the ids the consumer must apply once.
CREATE TABLE payments (
    id           bigserial PRIMARY KEY,
    account      int NOT NULL,
    amount_cents int NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- After (OUTBOX=on): the message to publish, written in the payment's own transaction; the relay
-- publishes it and sets published_at once the broker confirmed it.
CREATE TABLE outbox (
    payment_id   bigint PRIMARY KEY REFERENCES payments (id),
    body         text NOT NULL,
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (payment_id) WHERE published_at IS NULL;

-- The effect: a credit to an account. Not idempotent by itself (balance = balance + amount), and the
-- ledger has no unique key on payment_id, so applying a payment twice shows as two rows.
CREATE TABLE accounts (
    id            int PRIMARY KEY,
    balance_cents bigint NOT NULL DEFAULT 0
);
INSERT INTO accounts (id) SELECT generate_series(1, 1000);

CREATE TABLE ledger (
    seq          bigserial PRIMARY KEY,
    payment_id   bigint NOT NULL,
    account      int NOT NULL,
    amount_cents int NOT NULL,
    worker_pid   int NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ledger_payment ON ledger (payment_id);

-- After (PROCESSING=inbox): the ids of the messages whose effect is committed, written in the
-- effect's own transaction.
CREATE TABLE inbox (
    message_id   text PRIMARY KEY,
    processed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- History, for the audit and for you (not part of any mechanism): every injected crash, every worker
-- process that started consuming.
CREATE TABLE crashes (
    seq          bigserial PRIMARY KEY,
    payment_id   bigint NOT NULL,
    point        text NOT NULL,
    worker_pid   int NOT NULL,
    crashed_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE worker_starts (
    seq          bigserial PRIMARY KEY,
    worker_pid   int NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Week 13: idempotency keys. Applied once, after the lab database is created.

-- The ledger. Deliberately NO unique constraint on intent_id: the lesson is the general mechanism
-- (a key that stores the response), and SQL below counts what goes wrong without it.
CREATE TABLE charges (
    id           bigserial   PRIMARY KEY,
    intent_id    text        NOT NULL,
    amount_cents integer     NOT NULL CHECK (amount_cents > 0),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX charges_intent_id ON charges (intent_id);

-- One row per Idempotency-Key, written in the SAME transaction as the charge it protects.
-- The primary key is what serialises concurrent duplicates: a second INSERT of the same key waits
-- for the first transaction to end. The response is stored so a replay can return it unchanged.
CREATE TABLE idempotency_keys (
    key             text        PRIMARY KEY,
    fingerprint     text        NOT NULL,      -- what the key was first used for (intent:amount)
    response_status integer,                   -- NULL until the charge is done (never visible: same transaction)
    response_body   text,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- The lesson's number: intents charged more than once (the service exports it as duplicate_charges).
CREATE VIEW duplicate_charges AS
    SELECT intent_id, count(*) AS charges, sum(amount_cents) AS total_cents
    FROM charges GROUP BY intent_id HAVING count(*) > 1;

-- Week 41: each bank (its own PostgreSQL cluster) holds 20 accounts and a ledger of the transfers
-- that touched it. A transfer is atomic when both banks' ledgers have its id, or neither has.
CREATE TABLE accounts (
    id      int PRIMARY KEY,
    balance bigint NOT NULL
);
INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, 20) AS g;

CREATE TABLE ledger (
    entry_id text PRIMARY KEY,            -- a transfer's id, or a deposit's
    account  int NOT NULL REFERENCES accounts (id),
    amount   bigint NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);

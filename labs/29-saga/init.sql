-- Week 29: each service owns its table (one PostgreSQL here, for the auditor's reconciliation query).
CREATE TABLE reservations (id bigserial PRIMARY KEY, order_id bigint NOT NULL, status text NOT NULL);   -- inventory
CREATE TABLE payments     (id bigserial PRIMARY KEY, order_id bigint NOT NULL, status text NOT NULL);   -- payment
CREATE TABLE shipments    (id bigserial PRIMARY KEY, order_id bigint NOT NULL, status text NOT NULL);   -- shipping
CREATE TABLE orders       (order_id bigint PRIMARY KEY, status text NOT NULL);                          -- orchestrator: the outcome
-- The orchestrator's saga log (SAGA=log): one row per saga, updated before and after each step.
CREATE TABLE sagas (
    order_id    bigint PRIMARY KEY,
    state       text NOT NULL,           -- running, compensating (the recovery sweep took it over), completed, compensated
    step        text NOT NULL,
    incarnation text NOT NULL,           -- which run of the orchestrator drives it
    updated_at  timestamptz NOT NULL DEFAULT now()
);

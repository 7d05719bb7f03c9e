-- Week 37: the shared resource the workers update under the lock, and the history of every write
-- attempt the storage received.
CREATE TABLE resource (
    id      int PRIMARY KEY,
    value   bigint NOT NULL,   -- a counter: each update reads it and writes it + 1
    token   bigint NOT NULL,   -- the fencing token of the last applied write
    fence   bigint NOT NULL,   -- the highest token the storage has seen, on a read or a write (after)
    version bigint NOT NULL,   -- applied writes so far (each applied write adds one)
    holder  text               -- the worker of the last applied write
);
INSERT INTO resource (id, value, token, fence, version) VALUES (1, 0, 0, 0, 0);

CREATE TABLE writes (
    seq     bigserial PRIMARY KEY,
    version bigint,            -- the resource version this write produced; NULL: refused (fencing)
    token   bigint NOT NULL,   -- the fencing token the write carried
    holder  text NOT NULL,
    value   bigint NOT NULL,   -- the value it wrote
    at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX writes_version ON writes (version);

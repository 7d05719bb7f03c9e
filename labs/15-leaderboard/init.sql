-- A million players with scores 0 … 999,999 (a deterministic scramble of the id, so every run has the
-- same board). The index on (score, id) serves both the rank count and the top-N; it is built after
-- the load, and VACUUM lets the count read the index alone (an index-only scan).
CREATE TABLE players (
    id    int NOT NULL,
    score int NOT NULL
);
INSERT INTO players (id, score)
SELECT g, (hashint4(g) & 2147483647) % 1000000 FROM generate_series(1, 1000000) AS g;
ALTER TABLE players ADD PRIMARY KEY (id);
CREATE INDEX players_by_score ON players (score, id);
VACUUM ANALYZE players;

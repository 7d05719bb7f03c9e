-- Week 14: one table, written on the primary and read on the standby.
CREATE TABLE profiles (
    id         int PRIMARY KEY,
    version    int NOT NULL,
    bio        text NOT NULL,
    updated_at timestamptz NOT NULL
);

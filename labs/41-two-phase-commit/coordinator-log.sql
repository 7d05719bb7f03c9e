-- Week 41: the coordinator's decision log. A row is written (and committed) after both banks voted
-- yes and before anything is committed: whoever finds a prepared transaction later asks this table.
CREATE TABLE decisions (
    gid        text PRIMARY KEY,
    decision   text NOT NULL CHECK (decision IN ('commit', 'abort')),
    decided_at timestamptz NOT NULL DEFAULT now(),
    done       boolean NOT NULL DEFAULT false
);

-- PostgreSQL mirror of ../010_inbox_lanes.sql (the same table, columns and index).
-- Kneecoach schema, migration 010: the inbox's lanes, for several processes on one database.
-- A person's events (one lane of the inbox, ``inbox.lane``) are worked by one process at a
-- time: the one that holds the lane's lease here. It takes the lane (a new row, or the row of
-- a holder whose lease ran out: it died or froze), renews the lease while it works the
-- lane's open rows in id order, and deletes the row when none is left. Instants are TEXT,
-- as everywhere (UTC, sortable). Unused with SQLite (one process holds the lanes in memory).
-- The inbox's own claimed_by and lease_until columns (008) stay unused: a lane is leased,
-- not a row.
CREATE TABLE inbox_lanes (
    lane         TEXT    PRIMARY KEY,         -- '<platform>:<user id>', as inbox.lane
    owner        TEXT    NOT NULL,            -- the process holding it (host:pid:tag)
    lease_until  TEXT    NOT NULL             -- past this, another process may take it over
);
CREATE INDEX inbox_lanes_owner ON inbox_lanes (owner);

-- PostgreSQL mirror of ../012_leader_lease.sql (the same table).
-- Kneecoach migration 012: who leads `kneecoach run` on a shared database (PostgreSQL).
-- One row a role ("kneecoach run"): the process holding it and until when (seconds since
-- the epoch, on the database's clock). The holder renews it every few seconds; another
-- process takes it over once it has run out (its holder died, froze or lost the database),
-- and a holder that could not renew in time stops leading. Unused with SQLite (one process
-- holds the file).
CREATE TABLE leader_lease (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    lease_until DOUBLE PRECISION NOT NULL
);

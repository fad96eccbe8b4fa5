-- PostgreSQL mirror of ../009_outbox_lease.sql (the same columns).
-- Kneecoach schema, version 12: the outbox's lease, for several processes on one database.
-- A process that takes a due row to send (PostgreSQL: FOR UPDATE SKIP LOCKED) writes its
-- name and how long the row is its own; another process takes the row only once the lease
-- has run out (its holder died or froze), and only the holder may record what became of it.
-- Unused with SQLite (one process holds the file: both stay NULL).
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;

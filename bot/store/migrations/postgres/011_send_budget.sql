-- PostgreSQL mirror of ../011_send_budget.sql (the same table; DOUBLE PRECISION for REAL).
-- Kneecoach schema, migration 011: the send budget, one for the bot however many processes
-- send for it (Telegram takes 30 messages a second from a bot, not from a process).
-- One row per platform: when its next message may start, in seconds since the epoch (the
-- start of a free slot; one message every 1/rate seconds, evenly spaced). Each grant moves
-- it on by one interval in a single UPDATE (bot/store/send_budget.py); a reply is promised
-- the next free start, a bulk send takes only a start that is free now (or within 5 ms).
-- The row is made on first use.
CREATE TABLE send_budget (
    platform TEXT PRIMARY KEY,
    next_at  DOUBLE PRECISION NOT NULL
);

-- PostgreSQL mirror of ../007_function.sql: same tables, columns and indexes (tests/store/test_schema.py
-- compares them); only the types SQLite spells differently change (an identity column for
-- an INTEGER PRIMARY KEY rowid, DOUBLE PRECISION for REAL).
-- Kneecoach schema, version 7: the function check (Kneecoach's own five questions, 0-4 each)
-- at the start (week 0), week 3 and week 6.

CREATE TABLE function_checks (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    week    INTEGER NOT NULL,
    scores  TEXT    NOT NULL,      -- JSON: question id -> score
    total   INTEGER NOT NULL,
    at      TEXT    NOT NULL,
    PRIMARY KEY (user_id, week)
);

-- PostgreSQL mirror of ../006_running.sql: same tables, columns and indexes (tests/store/test_schema.py
-- compares them); only the types SQLite spells differently change (an identity column for
-- an INTEGER PRIMARY KEY rowid, DOUBLE PRECISION for REAL).
-- Kneecoach schema, version 6: the running log (from the daily check-in: a run the day
-- before the check-in, its distance; its pain and the next morning are the check-in's) and
-- the weekly running suggestion.

CREATE TABLE runs (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    local_date TEXT    NOT NULL,   -- the check-in's day (the run was the day before)
    km         DOUBLE PRECISION    NOT NULL,
    at         TEXT    NOT NULL,
    PRIMARY KEY (user_id, local_date)
);

CREATE TABLE running_weeks (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    week       INTEGER NOT NULL,
    mode       TEXT    NOT NULL,   -- walk_run | distance
    stage      INTEGER,            -- walk-run stage (1-based)
    target_km  DOUBLE PRECISION,               -- the suggested weekly distance
    km         DOUBLE PRECISION    NOT NULL,   -- what was logged in the week before the suggestion
    verdict    TEXT    NOT NULL,   -- none | fine | acceptable | ease (pain monitoring model)
    suggestion TEXT    NOT NULL,   -- the advice given: hold | add | back | next | ...
    at         TEXT    NOT NULL,
    PRIMARY KEY (user_id, week)
);

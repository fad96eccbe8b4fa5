-- Kneecoach schema, version 1: people, their conversation state, intake answers, triage.
-- Every table that holds data about a person references users(id) ON DELETE CASCADE,
-- so /forget is one DELETE.

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    platform         TEXT    NOT NULL,
    platform_user_id TEXT    NOT NULL,
    chat_id          TEXT    NOT NULL,
    created_at       TEXT    NOT NULL,
    consent_at       TEXT,
    age_band         TEXT,
    active           INTEGER NOT NULL DEFAULT 1,
    UNIQUE (platform, platform_user_id)
);

CREATE TABLE dialog_state (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    dialog     TEXT,
    step       TEXT,
    seq        INTEGER NOT NULL DEFAULT 0,
    data       TEXT    NOT NULL DEFAULT '{}',
    updated_at TEXT    NOT NULL
);

CREATE TABLE profiles (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    answers    TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE triage_results (
    id       INTEGER PRIMARY KEY,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at       TEXT    NOT NULL,
    outcome  TEXT    NOT NULL,
    signals  TEXT    NOT NULL
);
CREATE INDEX triage_results_user ON triage_results (user_id);

CREATE TABLE safety_events (
    id       INTEGER PRIMARY KEY,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at       TEXT    NOT NULL,
    level    TEXT    NOT NULL,
    signals  TEXT    NOT NULL,
    context  TEXT    NOT NULL
);
CREATE INDEX safety_events_user ON safety_events (user_id);

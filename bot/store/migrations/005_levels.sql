-- Kneecoach schema, version 5: the runner's equipment and minutes on a strength day, their
-- level on each exercise ladder, the feedback and the changes behind those levels, and the
-- workout each day showed (so that one day shows one session, and feedback knows its moves).

-- equipment: JSON list of what the runner said they have (band, weights, step);
-- minutes: what they can spare for strength work on a strength day.
ALTER TABLE programmes ADD COLUMN equipment TEXT NOT NULL DEFAULT '[]';
ALTER TABLE programmes ADD COLUMN minutes INTEGER NOT NULL DEFAULT 20;

-- The current level (an exercise id) on each ladder the runner has moved on.
CREATE TABLE ladder_levels (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ladder     TEXT    NOT NULL,
    level      TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, ladder)
);

-- Every change of level, with its reason; told_on: the day it was told (once).
CREATE TABLE level_changes (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ladder     TEXT    NOT NULL,
    from_level TEXT    NOT NULL,
    to_level   TEXT    NOT NULL,
    reason     TEXT    NOT NULL,   -- easy | steady | hard | hurt | worse_morning | top | bottom
    local_date TEXT    NOT NULL,
    at         TEXT    NOT NULL,
    told_on    TEXT
);
CREATE INDEX level_changes_user ON level_changes (user_id, ladder);

-- How a strength session felt, per ladder (one row per move it was about).
CREATE TABLE feedback (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    local_date TEXT    NOT NULL,
    ladder     TEXT    NOT NULL,
    level      TEXT    NOT NULL,
    rating     TEXT    NOT NULL,   -- too_easy | about_right | too_hard | hurt
    at         TEXT    NOT NULL
);
CREATE INDEX feedback_user ON feedback (user_id, ladder);

-- The session a day showed: strength and daily exercise ids (JSON lists).
CREATE TABLE workouts (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    local_date TEXT    NOT NULL,
    strength   TEXT    NOT NULL,
    daily      TEXT    NOT NULL,
    short      INTEGER NOT NULL DEFAULT 0,
    card_shown INTEGER NOT NULL DEFAULT 0,
    at         TEXT    NOT NULL,
    PRIMARY KEY (user_id, local_date)
);

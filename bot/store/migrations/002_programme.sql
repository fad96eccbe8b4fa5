-- Kneecoach schema, version 2: the daily programme, reminders, the outbox, check-ins,
-- progress and escalations, and running clubs.

CREATE TABLE programmes (
    user_id       INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    started_on    TEXT    NOT NULL,              -- local date of day 1
    status        TEXT    NOT NULL DEFAULT 'active', -- active | paused | hold | stopped
    paused_until  TEXT,                          -- local date the programme resumes
    strength_days TEXT    NOT NULL,              -- JSON list of weekdays, 0 = Monday
    race          TEXT,
    updated_at    TEXT    NOT NULL
);

-- One row per person: their local wall time, IANA zone and the next due instant in UTC.
CREATE TABLE reminders (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    local_time TEXT    NOT NULL,   -- HH:MM
    timezone   TEXT    NOT NULL,   -- IANA name or UTC+HH:MM
    next_due   TEXT    NOT NULL,   -- UTC instant
    active     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX reminders_due ON reminders (active, next_due);

CREATE TABLE clubs (
    id         INTEGER PRIMARY KEY,
    platform   TEXT    NOT NULL,
    guild_id   TEXT    NOT NULL,
    channel_id TEXT    NOT NULL,
    local_time TEXT    NOT NULL,
    timezone   TEXT    NOT NULL,
    next_due   TEXT    NOT NULL,
    next_weekly TEXT   NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT    NOT NULL,
    UNIQUE (platform, guild_id)
);
CREATE INDEX clubs_due ON clubs (active, next_due);

-- Messages due to someone (a person or a club channel), one per (target, kind, local date).
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    target       TEXT    NOT NULL,            -- 'u:<user id>' or 'c:<club id>'
    user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    club_id      INTEGER REFERENCES clubs (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,            -- daily | snooze | club_daily | club_weekly
    local_date   TEXT    NOT NULL,
    due_at       TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'pending', -- pending | sending | sent | missed | blocked | failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt TEXT    NOT NULL,
    sent_at      TEXT,
    detail       TEXT,
    UNIQUE (target, kind, local_date)
);
CREATE INDEX outbox_pending ON outbox (status, next_attempt);
CREATE INDEX outbox_user ON outbox (user_id);

CREATE TABLE checkins (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    local_date    TEXT    NOT NULL,
    worst_pain    INTEGER NOT NULL,
    worse_morning INTEGER NOT NULL,
    swelling      INTEGER NOT NULL,
    at            TEXT    NOT NULL,
    UNIQUE (user_id, local_date)
);

CREATE TABLE sessions_log (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    local_date TEXT    NOT NULL,
    status     TEXT    NOT NULL,   -- done | partial | skipped
    at         TEXT    NOT NULL,
    PRIMARY KEY (user_id, local_date)
);

CREATE TABLE weekly_reviews (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    week    INTEGER NOT NULL,
    rating  TEXT    NOT NULL,      -- much_worse ... much_better
    score   INTEGER NOT NULL,      -- -3 ... +3
    at      TEXT    NOT NULL,
    UNIQUE (user_id, week)
);

CREATE TABLE recommendations (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key     TEXT    NOT NULL,
    reason  TEXT    NOT NULL,
    at      TEXT    NOT NULL,
    UNIQUE (user_id, key)
);

CREATE TABLE club_done (
    club_id    INTEGER NOT NULL REFERENCES clubs (id) ON DELETE CASCADE,
    local_date TEXT    NOT NULL,
    member_id  TEXT    NOT NULL,
    at         TEXT    NOT NULL,
    PRIMARY KEY (club_id, local_date, member_id)
);

CREATE TABLE club_posts (
    club_id    INTEGER NOT NULL REFERENCES clubs (id) ON DELETE CASCADE,
    local_date TEXT    NOT NULL,
    message_id TEXT    NOT NULL,
    PRIMARY KEY (club_id, local_date)
);

CREATE TABLE club_leaderboard (
    club_id      INTEGER NOT NULL REFERENCES clubs (id) ON DELETE CASCADE,
    member_id    TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    PRIMARY KEY (club_id, member_id)
);

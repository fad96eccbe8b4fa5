-- Kneecoach schema, version 4: nothing lost, nothing doubled.
--
-- The inbox: every event a platform delivers is kept here BEFORE the platform is told it
-- arrived (Telegram's offset, the webhook's 200), handled from here one turn at a time per
-- person, and marked handled in the same transaction as the turn's effects, with the replies
-- to send. The (platform, event id) key drops a repeat. Once the replies are all on the
-- platform the row is done: what the person typed, the replies and whose lane it was are
-- cleared, and only the key stays (for a while) to recognise a late repeat.
CREATE TABLE inbox (
    id           INTEGER PRIMARY KEY,
    platform     TEXT    NOT NULL,
    event_id     TEXT    NOT NULL,            -- Telegram update_id, Discord message id
    lane         TEXT,                        -- whose turn: '<platform>:<user id>', NULL once done
    event        TEXT,                        -- the event (JSON), NULL once done
    status       TEXT    NOT NULL DEFAULT 'pending', -- pending | handled | done
    replies      TEXT,                        -- the turn's replies (JSON) while being sent
    sent         TEXT    NOT NULL DEFAULT '[]', -- ids of the reply messages already delivered
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt TEXT,                        -- when the replies may be tried (again)
    received_at  TEXT    NOT NULL,
    done_at      TEXT,
    detail       TEXT,
    -- Unused with SQLite (one process holds the file); a shared backend leases rows with them.
    claimed_by   TEXT,
    lease_until  TEXT,
    UNIQUE (platform, event_id)
);
CREATE INDEX inbox_open ON inbox (status, lane, id);
CREATE INDEX inbox_answers ON inbox (status, next_attempt);
CREATE INDEX inbox_done ON inbox (status, done_at);

-- The outbox keeps what it composed and which of its messages the platform already has, so
-- a restart sends only the message that was in flight, never the ones before it again.
ALTER TABLE outbox ADD COLUMN platform TEXT;
ALTER TABLE outbox ADD COLUMN payload TEXT;            -- the composed delivery (JSON)
ALTER TABLE outbox ADD COLUMN sent TEXT NOT NULL DEFAULT '[]';
UPDATE outbox SET status = 'pending' WHERE status = 'sending';
UPDATE outbox SET platform = (SELECT platform FROM users WHERE users.id = outbox.user_id)
    WHERE user_id IS NOT NULL;
UPDATE outbox SET platform = (SELECT platform FROM clubs WHERE clubs.id = outbox.club_id)
    WHERE club_id IS NOT NULL;
CREATE INDEX outbox_platform ON outbox (platform, status, next_attempt);

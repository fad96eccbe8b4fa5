-- Kneecoach migration 013: which message holds each chat's open question (the last one
-- sent with buttons), shared by the processes answering one bot (PostgreSQL): a question
-- one process sent may be answered by typing in another, which then drops its buttons.
-- Unused with SQLite (one process keeps it in memory).
CREATE TABLE open_questions (
    platform   TEXT    NOT NULL,
    chat_id    TEXT    NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (platform, chat_id)
);

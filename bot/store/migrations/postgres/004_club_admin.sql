-- PostgreSQL mirror of ../004_club_admin.sql: same tables, columns and indexes (tests/store/test_schema.py
-- compares them); only the types SQLite spells differently change (an identity column for
-- an INTEGER PRIMARY KEY rowid, DOUBLE PRECISION for REAL).
-- Kneecoach schema, version 4: who set a club's post up (to be told privately when the
-- post cannot go out), the channel's name as it was then (to name it), and how many posts
-- in a row the platform has refused for lack of permission (3 switch the post off).
ALTER TABLE clubs ADD COLUMN admin_id TEXT;
ALTER TABLE clubs ADD COLUMN channel_name TEXT NOT NULL DEFAULT '';
ALTER TABLE clubs ADD COLUMN refused_posts INTEGER NOT NULL DEFAULT 0;

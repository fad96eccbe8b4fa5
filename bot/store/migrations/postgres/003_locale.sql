-- PostgreSQL mirror of ../003_locale.sql: same tables, columns and indexes (tests/store/test_schema.py
-- compares them); only the types SQLite spells differently change (an identity column for
-- an INTEGER PRIMARY KEY rowid, DOUBLE PRECISION for REAL).
-- Kneecoach schema, version 3: each person's language (the folder under content/locales).
ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';

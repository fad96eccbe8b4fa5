-- Kneecoach schema, version 3: each person's language (the folder under content/locales).
ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';

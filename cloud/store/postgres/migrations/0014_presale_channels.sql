-- SQLite migration 28: the channels a presale takes applications through.
ALTER TABLE presales ADD COLUMN channels TEXT NOT NULL DEFAULT 'page,shop';

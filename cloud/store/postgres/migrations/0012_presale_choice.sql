-- SQLite migration 26: a presale's seat choice window for its winners.
ALTER TABLE presales ADD COLUMN choice_until BIGINT NOT NULL DEFAULT 0;

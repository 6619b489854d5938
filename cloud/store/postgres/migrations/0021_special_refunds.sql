-- SQLite migration 35: refunds in special cases: paper tickets come back
-- before the money; an event's refund policy; a session postponed.
ALTER TABLE tickets ADD COLUMN returned_at BIGINT;
ALTER TABLE events ADD COLUMN refund_policy TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN postponed BIGINT NOT NULL DEFAULT 0;

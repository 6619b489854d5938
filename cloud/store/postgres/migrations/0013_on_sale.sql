-- SQLite migration 27: a session's public on-sale time, and the accounts
-- that asked to be told when it opens.
ALTER TABLE sessions ADD COLUMN on_sale_at BIGINT NOT NULL DEFAULT 0;
CREATE TABLE sale_alerts (
	session_id BIGINT NOT NULL,
	account_id BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (session_id, account_id)
);

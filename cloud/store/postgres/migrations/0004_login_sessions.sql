-- SQLite migration 18: login sessions (idle timeout, logout, who is
-- online), keyed by a hash of the token; the request that wrote each audit
-- entry and feed event.
CREATE TABLE login_sessions (
	token_hash TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL,
	tenant_id BIGINT NOT NULL,
	generation BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	ended_at BIGINT,
	end_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX login_sessions_live ON login_sessions(last_seen_at) WHERE ended_at IS NULL;
CREATE INDEX login_sessions_user ON login_sessions(user_id) WHERE ended_at IS NULL;
ALTER TABLE audit_log ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
ALTER TABLE feed ADD COLUMN request_id TEXT NOT NULL DEFAULT '';

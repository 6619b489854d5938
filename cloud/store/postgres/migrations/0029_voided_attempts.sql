-- SQLite migration 43: card attempts whose charge was given back. A
-- provider answers a spent key as it first did (approved), so only this
-- table tells a resent attempt that its money went back.
CREATE TABLE voided_attempts (
	attempt TEXT PRIMARY KEY,
	voided_at BIGINT NOT NULL
);

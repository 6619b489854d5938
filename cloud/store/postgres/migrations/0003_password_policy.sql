-- SQLite migration 17: the password policy: the hashes of a user's last
-- passwords (no reuse) and when the password was last set (expiry).
ALTER TABLE users ADD COLUMN password_history TEXT NOT NULL DEFAULT '[]';
ALTER TABLE users ADD COLUMN password_changed_at BIGINT;

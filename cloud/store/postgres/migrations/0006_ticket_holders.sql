-- SQLite migration 20: real-name events: the holder named for each ticket
-- (by a keyed hash of the document; one per session), and each order's
-- holders.
ALTER TABLE events ADD COLUMN real_name BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN holder_limit BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN holders TEXT NOT NULL DEFAULT '[]';
CREATE TABLE ticket_holders (
	ticket_id BIGINT PRIMARY KEY,
	session_id BIGINT NOT NULL,
	event_id BIGINT NOT NULL,
	id_key TEXT NOT NULL,
	doc_type TEXT NOT NULL,
	doc_masked TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ticket_holders_session ON ticket_holders(session_id, id_key);
CREATE INDEX ticket_holders_event ON ticket_holders(event_id, id_key);

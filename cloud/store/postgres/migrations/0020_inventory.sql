-- SQLite migration 34: the ticket inventory: every print of a ticket with
-- its time (the first was all that was kept), and commemorative production.
CREATE TABLE ticket_prints (
	session_id BIGINT NOT NULL,
	number TEXT NOT NULL,
	at BIGINT NOT NULL
);
CREATE INDEX ticket_prints_session ON ticket_prints(session_id, number);
INSERT INTO ticket_prints (session_id, number, at) SELECT session_id, number, printed_at FROM tickets WHERE printed_at IS NOT NULL;
ALTER TABLE tickets ADD COLUMN production TEXT NOT NULL DEFAULT 'electronic';
ALTER TABLE tickets ADD COLUMN produced_at BIGINT;
CREATE INDEX revocations_session ON revocations(session_id, number);

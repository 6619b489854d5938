-- The seat change log numbered without gaps and in commit order, as
-- SQLite's rowids are: a position is the log's last plus one. Every writer
-- holds the store's write lock (the audit head's row) until it commits, so
-- no two transactions number at once, and a savepoint rolled back gives
-- its numbers back as SQLite's does. An identity column would leave a gap
-- for every rolled-back change, and readers would wait for it.
CREATE OR REPLACE FUNCTION seat_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO seat_log (id, session_id, ord, code, tier_id)
	VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM seat_log), NEW.session_id, NEW.ord,
		seat_code(NEW.phys_state, NEW.status, NEW.category, NEW.tier_id), NEW.tier_id);
	RETURN NULL;
END
$$;

-- SQLite migration 38: the organiser's and the printing house's
-- settlement rules, and commemorative tickets found by when they were made.
CREATE TABLE settlement_rules (
	tenant_id BIGINT NOT NULL,
	party TEXT NOT NULL,
	name TEXT NOT NULL,
	rule TEXT NOT NULL,
	PRIMARY KEY (tenant_id, party)
);
CREATE INDEX tickets_produced ON tickets(tenant_id, produced_at) WHERE produced_at IS NOT NULL;
ALTER TABLE settlement_lines ADD COLUMN party TEXT NOT NULL DEFAULT '';
UPDATE settlement_lines SET party = (SELECT party FROM settlement_runs WHERE settlement_runs.id = settlement_lines.run_id);
DROP INDEX settlement_lines_fact;
CREATE UNIQUE INDEX settlement_lines_fact ON settlement_lines(party, kind, order_id, refund_id);

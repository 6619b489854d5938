-- SQLite migration 24: real-name gates: each ticket carries its holder's
-- document hash under the tenant's holder key (the gate's cache holds
-- it), and each verified identity keeps its own, for the shop's tickets.
ALTER TABLE tickets ADD COLUMN holder TEXT NOT NULL DEFAULT '';
ALTER TABLE identities ADD COLUMN gate_tag TEXT NOT NULL DEFAULT '';

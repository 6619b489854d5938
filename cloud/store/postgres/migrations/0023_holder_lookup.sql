-- SQLite migration 37: a booth finds a holder's orders by the document it
-- checked.
CREATE INDEX ticket_holders_key ON ticket_holders(id_key);

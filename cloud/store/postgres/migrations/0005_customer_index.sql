-- SQLite migration 19: customers' names and phones are sealed when a
-- master key is configured; a blind index of the name finds an order by
-- name.
ALTER TABLE orders ADD COLUMN customer_index TEXT NOT NULL DEFAULT '';
CREATE INDEX orders_customer_index ON orders(tenant_id, customer_index) WHERE customer_index <> '';

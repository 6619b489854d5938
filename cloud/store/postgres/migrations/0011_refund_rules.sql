-- SQLite migration 25: refunds at the shop: an event's graded-fee rule,
-- and the fee a refund keeps.
ALTER TABLE events ADD COLUMN refund_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN fee_cents BIGINT NOT NULL DEFAULT 0;

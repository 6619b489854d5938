-- SQLite migration 41: an agency's refund request is asked once per
-- idempotency key.
ALTER TABLE refunds ADD COLUMN request_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX refunds_request_key ON refunds(tenant_id, request_key) WHERE request_key <> '';

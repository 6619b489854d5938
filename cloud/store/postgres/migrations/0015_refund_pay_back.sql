-- SQLite migration 29: when a refund's money went back (refunds approved
-- before were paid back at approval).
ALTER TABLE refunds ADD COLUMN paid_back BIGINT NOT NULL DEFAULT 0;
UPDATE refunds SET paid_back = COALESCE(decided_at, created_at) WHERE status = 'approved';
CREATE INDEX refunds_to_pay_back ON refunds(id) WHERE status = 'approved' AND paid_back = 0;
CREATE INDEX refunds_order ON refunds(order_id);

-- Sales read model, fed by pos's events. Ids from other services are kept
-- as text: analytics owns none of them and only filters by them.

-- One row per confirmed receipt (loyalty.pos.v1.ReceiptConfirmed).
CREATE TABLE sales_facts (
  program_id text NOT NULL,
  receipt_id text NOT NULL,
  store_id text NOT NULL,
  confirmed_at timestamptz NOT NULL,
  total_amount bigint NOT NULL,
  total_discount bigint NOT NULL,
  points_earned bigint NOT NULL,
  points_spent bigint NOT NULL,
  event_id text NOT NULL,
  PRIMARY KEY (program_id, receipt_id)
);
CREATE INDEX sales_facts_period ON sales_facts (program_id, confirmed_at);
CREATE INDEX sales_facts_store_period ON sales_facts (program_id, store_id, confirmed_at);

-- One row per refund (loyalty.pos.v1.ReceiptRefunded).
CREATE TABLE refund_facts (
  program_id text NOT NULL,
  refund_id text NOT NULL,
  receipt_id text NOT NULL,
  store_id text NOT NULL,
  refunded_at timestamptz NOT NULL,
  amount bigint NOT NULL,
  points_reversed bigint NOT NULL,
  points_returned bigint NOT NULL,
  event_id text NOT NULL,
  PRIMARY KEY (program_id, refund_id)
);
CREATE INDEX refund_facts_period ON refund_facts (program_id, refunded_at);
CREATE INDEX refund_facts_store_period ON refund_facts (program_id, store_id, refunded_at);

-- Ids of the events already applied; written in the same transaction as
-- their fact, so a redelivered event is recognised and skipped.
CREATE TABLE processed_events (
  event_id text PRIMARY KEY,
  processed_at timestamptz NOT NULL DEFAULT now()
);

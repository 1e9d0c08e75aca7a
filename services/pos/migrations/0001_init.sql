-- Stores of a program.
CREATE TABLE stores (
  store_id uuid PRIMARY KEY,
  program_id uuid NOT NULL,
  name text NOT NULL,
  city text NOT NULL DEFAULT '',
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX stores_request ON stores (program_id, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX stores_listing ON stores (program_id, name, store_id);

-- Program-wide pricing rules; a program without a row uses the defaults.
CREATE TABLE pos_settings (
  program_id uuid PRIMARY KEY,
  accrual_rate_bp integer NOT NULL,
  max_redeem_share_bp integer NOT NULL,
  point_value bigint NOT NULL,
  activation_delay_seconds bigint NOT NULL,
  points_lifetime_days integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Receipts: CALCULATED -> CONFIRMING -> CONFIRMED, or CALCULATED -> CANCELLED.
-- CONFIRMING means the ledger call may have happened; a retried confirm
-- repeats it (the ledger deduplicates by transfer id) and finishes.
CREATE TABLE receipts (
  receipt_id uuid PRIMARY KEY,
  program_id uuid NOT NULL,
  store_id uuid NOT NULL REFERENCES stores,
  receipt_number text NOT NULL,
  card_number text NOT NULL DEFAULT '',
  state text NOT NULL,
  calculation integer NOT NULL DEFAULT 1,
  hold_id text NOT NULL DEFAULT '',
  total_amount bigint NOT NULL,
  max_points_payable bigint NOT NULL,
  points_spent bigint NOT NULL,
  points_earned bigint NOT NULL,
  point_value bigint NOT NULL,
  no_loyalty_reason integer NOT NULL DEFAULT 0,
  activate_at timestamptz,
  expire_at timestamptz,
  confirm_request_id text,
  confirm_started_at timestamptz,
  balance_available bigint NOT NULL DEFAULT 0,
  balance_pending bigint NOT NULL DEFAULT 0,
  balance_held bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  confirmed_at timestamptz,
  UNIQUE (program_id, store_id, receipt_number)
);
CREATE UNIQUE INDEX receipts_confirm_request ON receipts (program_id, confirm_request_id)
  WHERE confirm_request_id IS NOT NULL;
-- Confirmations a crash left half done, for the recovery task.
CREATE INDEX receipts_confirming ON receipts (confirm_started_at) WHERE state = 'CONFIRMING';

CREATE TABLE receipt_lines (
  receipt_id uuid NOT NULL REFERENCES receipts ON DELETE CASCADE,
  line_number integer NOT NULL,
  sku text NOT NULL,
  category text NOT NULL,
  quantity_milli bigint NOT NULL CHECK (quantity_milli > 0),
  price bigint NOT NULL CHECK (price >= 0),
  amount bigint NOT NULL,
  discount bigint NOT NULL,
  points_spent bigint NOT NULL,
  points_earned bigint NOT NULL,
  refunded_quantity_milli bigint NOT NULL DEFAULT 0
    CHECK (refunded_quantity_milli BETWEEN 0 AND quantity_milli),
  PRIMARY KEY (receipt_id, line_number)
);

-- Refunds: PENDING until the ledger has reversed the points, then DONE.
CREATE TABLE refunds (
  refund_id uuid PRIMARY KEY,
  program_id uuid NOT NULL,
  receipt_id uuid NOT NULL REFERENCES receipts,
  request_id text NOT NULL,
  state text NOT NULL,
  amount bigint NOT NULL,
  points_to_reverse bigint NOT NULL,
  points_to_return bigint NOT NULL,
  points_reversed bigint NOT NULL DEFAULT 0,
  balance_available bigint NOT NULL DEFAULT 0,
  balance_pending bigint NOT NULL DEFAULT 0,
  balance_held bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (program_id, request_id)
);
CREATE INDEX refunds_pending ON refunds (created_at) WHERE state = 'PENDING';

CREATE TABLE refund_lines (
  refund_id uuid NOT NULL REFERENCES refunds,
  line_number integer NOT NULL,
  quantity_milli bigint NOT NULL,
  amount bigint NOT NULL,
  points_earned bigint NOT NULL,
  points_spent bigint NOT NULL,
  PRIMARY KEY (refund_id, line_number)
);

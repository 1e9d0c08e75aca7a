-- POS-2 certificate checks: the gift certificates offered on a receipt's
-- current calculation and what each pays, replaced on every recalculation.
-- An applied one keeps the id of its hold at `cards`, so confirm posts,
-- cancel voids and refunds give back exactly that money, also after a
-- restart; `refunded` counts what refunds gave back so far, so partial
-- refunds add up to what it paid.
CREATE TABLE receipt_certificates (
  receipt_id uuid NOT NULL REFERENCES receipts ON DELETE CASCADE,
  position integer NOT NULL,  -- order given
  number text NOT NULL,
  requested bigint NOT NULL DEFAULT 0 CHECK (requested >= 0),
  outcome smallint NOT NULL,
  amount bigint NOT NULL DEFAULT 0 CHECK (amount >= 0),
  refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
  reason text NOT NULL DEFAULT '',
  hold_id text NOT NULL DEFAULT '',  -- '' when nothing is held
  PRIMARY KEY (receipt_id, position)
);

-- What each refund gives back to each certificate (planned with the refund,
-- in its transaction, so a retry or the recovery task repeats exactly it).
CREATE TABLE refund_certificates (
  refund_id uuid NOT NULL REFERENCES refunds ON DELETE CASCADE,
  position integer NOT NULL,  -- the certificate's position on the receipt
  number text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  redemption_id text NOT NULL,  -- the receipt's posting it gives back from
  PRIMARY KEY (refund_id, position)
);

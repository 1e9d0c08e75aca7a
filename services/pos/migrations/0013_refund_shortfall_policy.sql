-- POS-4: what a refund does with earned points to take back that the
-- member already spent. CAP (as before): take what is left, forgive the
-- rest. NEGATIVE_BALANCE: take the rest as debt, down to -floor points.
ALTER TABLE pos_settings
  ADD COLUMN refund_shortfall_policy text NOT NULL DEFAULT 'CAP'
    CHECK (refund_shortfall_policy IN ('CAP', 'NEGATIVE_BALANCE')),
  ADD COLUMN refund_negative_floor bigint NOT NULL DEFAULT 0
    CHECK (refund_negative_floor BETWEEN 0 AND 1000000000000);

-- The policy a refund applies is the program's when it was recorded, kept
-- with it: a retry or the recovery task must ask the ledger the same
-- (the reversal's floor is part of its idempotency fingerprint), even if
-- the settings changed in between. points_into_negative: of
-- points_reversed, how many were taken below zero.
ALTER TABLE refunds
  ADD COLUMN shortfall_policy text NOT NULL DEFAULT 'CAP'
    CHECK (shortfall_policy IN ('CAP', 'NEGATIVE_BALANCE')),
  ADD COLUMN negative_floor bigint NOT NULL DEFAULT 0 CHECK (negative_floor >= 0),
  ADD COLUMN points_into_negative bigint NOT NULL DEFAULT 0
    CHECK (points_into_negative >= 0 AND points_into_negative <= points_reversed);

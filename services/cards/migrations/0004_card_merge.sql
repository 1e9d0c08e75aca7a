-- Merging cards: what the source card had moves to the target in MERGE
-- transfers, member account to member account, one per lot, so every lot
-- keeps its activation and expiry on the target. The source is closed and
-- remembers where it went.
ALTER TABLE transfers DROP CONSTRAINT transfers_kind_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_kind_check
  CHECK (kind IN ('ACCRUAL', 'REDEMPTION', 'ACCRUAL_REVERSAL', 'REDEMPTION_REVERSAL',
                  'EXPIRATION', 'CORRECTION_CREDIT', 'CORRECTION_DEBIT', 'MERGE'));
ALTER TABLE lots DROP CONSTRAINT lots_origin_kind_check;
ALTER TABLE lots ADD CONSTRAINT lots_origin_kind_check
  CHECK (origin_kind IN ('ACCRUAL', 'REDEMPTION_REVERSAL', 'CORRECTION_CREDIT', 'MERGE'));
ALTER TABLE cards ADD COLUMN merged_into text;

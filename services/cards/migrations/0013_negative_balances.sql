-- POS-4: a refund may take back points the member already spent, down to a
-- floor the caller (pos, by program policy) passes on the ACCRUAL_REVERSAL.
-- What the lots do not cover becomes debt: the stored balance is the points
-- left in the lots less the debt, so it may go below zero. The floor is
-- the caller's, per transfer, so the table only keeps the sign rules.
ALTER TABLE accounts DROP CONSTRAINT member_balance_floor;

-- The debt a transfer changed on its member account: + taken below zero by
-- an ACCRUAL_REVERSAL, - repaid by a credit that creates a lot (its lot is
-- the rest). Never more than the transfer moved.
ALTER TABLE transfers ADD COLUMN debt_change bigint NOT NULL DEFAULT 0;
ALTER TABLE transfers ADD CONSTRAINT transfer_debt_change CHECK (
  debt_change = 0
  OR (kind = 'ACCRUAL_REVERSAL' AND debt_change > 0 AND debt_change <= amount)
  OR (kind IN ('ACCRUAL', 'REDEMPTION_REVERSAL', 'CORRECTION_CREDIT')
      AND debt_change < 0 AND -debt_change <= amount));

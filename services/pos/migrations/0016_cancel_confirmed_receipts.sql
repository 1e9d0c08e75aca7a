-- POS-5: cancelling a confirmed receipt undoes the sale entirely. It is done
-- as the receipt's cancel refund: a refund of everything earlier refunds
-- left, recorded PENDING like any refund (so a retry or the recovery task
-- finishes it once) and whose completion marks the receipt CANCELLED, in
-- the same transaction. A receipt has at most one; it is found by the
-- receipt, not by a caller's request id, so it has none (NULL never clashes
-- with the callers' ids under UNIQUE (program_id, request_id)).
ALTER TABLE refunds
  ALTER COLUMN request_id DROP NOT NULL,
  ADD COLUMN cancels_receipt boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT refunds_request_id_unless_cancel
    CHECK (cancels_receipt = (request_id IS NULL));
CREATE UNIQUE INDEX refunds_one_cancel_per_receipt ON refunds (receipt_id)
  WHERE cancels_receipt;

-- When the receipt was cancelled (a calculated one at the cancel, a
-- confirmed one when its cancel refund completed); NULL before 0016.
ALTER TABLE receipts ADD COLUMN cancelled_at timestamptz;

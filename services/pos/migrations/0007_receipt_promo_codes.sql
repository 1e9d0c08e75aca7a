-- CMP-3 / POS-2..5: the promo codes entered on a receipt's current
-- calculation and what became of each, replaced on every recalculation. An
-- applied code keeps the id of the use it holds at `campaigns`, so confirm
-- consumes, and cancel or a whole refund releases, exactly that use, also
-- after a restart.
CREATE TABLE receipt_promo_codes (
  receipt_id uuid NOT NULL REFERENCES receipts ON DELETE CASCADE,
  position integer NOT NULL,  -- order entered
  code text NOT NULL,
  outcome smallint NOT NULL,
  campaign_id text NOT NULL DEFAULT '',
  reason text NOT NULL DEFAULT '',
  reservation_id text NOT NULL DEFAULT '',  -- '' when no use is held
  pool_id text NOT NULL DEFAULT '',
  PRIMARY KEY (receipt_id, position)
);

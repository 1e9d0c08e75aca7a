-- CRD-9: the coalition partner that owns a store ('' for the program's own
-- stores). Fixed when the store is created, so a receipt's transfers, its
-- confirm retries and later refunds all name the same partner.
ALTER TABLE stores ADD COLUMN partner_id text NOT NULL DEFAULT '';

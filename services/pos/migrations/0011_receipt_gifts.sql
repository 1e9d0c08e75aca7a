-- CMP-4: the gifts the campaign rules of a receipt's current calculation
-- give, kept with it (so GetReceipt, a retried calculate and confirm show
-- the same gifts) and replaced on every recalculation.
CREATE TABLE receipt_gifts (
  receipt_id uuid NOT NULL REFERENCES receipts ON DELETE CASCADE,
  position integer NOT NULL,  -- order given
  campaign_id text NOT NULL,
  campaign_version bigint NOT NULL,
  rule_id text NOT NULL,
  sku text NOT NULL,
  -- '' and false when the catalogue did not know the sku at calculation.
  product_name text NOT NULL,
  in_catalogue boolean NOT NULL,
  quantity_milli bigint NOT NULL,
  price bigint NOT NULL,  -- per unit, minor units
  PRIMARY KEY (receipt_id, position)
);

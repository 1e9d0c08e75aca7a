-- The certificate holds of confirmations that were refused (a lapsed hold,
-- the ledger refusing the points) and still have to be released: voided
-- when never posted, their posting given back when posted. Written in the
-- transaction that sends the receipt back to be calculated, before any
-- call to `cards`, and deleted once released, so that the recovery task
-- finishes a release a crash or `cards` being down interrupted. A row
-- outlives the receipt's recalculation, which replaces its certificates.
CREATE TABLE certificate_releases (
  receipt_id uuid NOT NULL,
  hold_id text NOT NULL,
  program_id uuid NOT NULL,
  number text NOT NULL,
  amount bigint NOT NULL CHECK (amount >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (receipt_id, hold_id)
);

CREATE INDEX certificate_releases_by_age ON certificate_releases (created_at);

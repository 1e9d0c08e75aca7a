-- Codes handed to clients by IssuePromoCode (campaign actions after a
-- confirmed receipt). issue_id is the caller's idempotency key.
CREATE TABLE promo_code_issues (
  program_id text NOT NULL,
  issue_id text NOT NULL,
  pool_id uuid NOT NULL REFERENCES promo_code_pools (pool_id),
  code_id bigint NOT NULL REFERENCES promo_codes (code_id),
  client_id text NOT NULL,
  -- True for a UNIQUE pool's code, which belongs to one client; a SHARED
  -- pool's one code is issued to many.
  exclusive boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, issue_id)
);
-- The last guard against handing one unique code to two clients, whatever
-- the locking above it does.
CREATE UNIQUE INDEX promo_code_issues_exclusive ON promo_code_issues (code_id) WHERE exclusive;

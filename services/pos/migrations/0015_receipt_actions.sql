-- CMP-2 / CMP-4: the post-confirm actions (issue a promo code, set an
-- attribute, add a tag) the campaign rules of a receipt's current
-- calculation give, kept with it like its gifts (replaced on every
-- recalculation) and, once the receipt is confirmed, the work queue of the
-- actions worker.
--
-- state: PENDING until the receipt is confirmed (a cancelled receipt's stay
-- PENDING and never run); SKIPPED at calculation for a receipt without a
-- member; DUE from the confirming transaction on; DONE or FAILED when the
-- worker recorded the outcome.
-- due_at: when a worker may claim a DUE action next. A claim moves it past
-- the lease, so an action whose worker died becomes claimable again once
-- the lease ends; a retry moves it past the backoff.
-- claim_token: the claim a worker holds; only that claim may record the
-- outcome, so a worker whose lease ran out cannot overwrite a later one.
CREATE TABLE receipt_actions (
  receipt_id uuid NOT NULL REFERENCES receipts ON DELETE CASCADE,
  position integer NOT NULL,  -- order given; part of the idempotency keys
  campaign_id text NOT NULL,
  campaign_version bigint NOT NULL,
  rule_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('ISSUE_PROMO_CODE', 'SET_ATTRIBUTE', 'ADD_TAG')),
  target text NOT NULL,  -- the pool id, attribute key or tag
  value text NOT NULL DEFAULT '',  -- SET_ATTRIBUTE: the value
  client_id text NOT NULL DEFAULT '',  -- the member, '' when SKIPPED
  state text NOT NULL CHECK (state IN ('PENDING', 'SKIPPED', 'DUE', 'DONE', 'FAILED')),
  attempts integer NOT NULL DEFAULT 0,
  due_at timestamptz,
  claim_token text NOT NULL DEFAULT '',
  promo_code text NOT NULL DEFAULT '',  -- DONE ISSUE_PROMO_CODE: the code
  reason text NOT NULL DEFAULT '',  -- SKIPPED, FAILED, or the last retried error
  finished_at timestamptz,
  PRIMARY KEY (receipt_id, position)
);

-- The worker's claim query reads due actions only.
CREATE INDEX receipt_actions_due ON receipt_actions (due_at) WHERE state = 'DUE';

-- CMP-5: campaign budgets, counted where receipts are written so that a
-- budget is checked in the same database as the receipt that spends it.

-- What confirmed receipts took of each campaign's budget (less refunds),
-- per program. The row is also the lock every reservation of the campaign
-- takes, so that checks against the cap are serialised per campaign.
CREATE TABLE campaign_budget_usage (
  program_id text NOT NULL,
  campaign_id text NOT NULL,
  discount bigint NOT NULL DEFAULT 0,
  bonus_points bigint NOT NULL DEFAULT 0,
  receipts bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (program_id, campaign_id)
);

-- The same per client (the card number on the receipt), for per-client caps.
CREATE TABLE campaign_client_usage (
  program_id text NOT NULL,
  campaign_id text NOT NULL,
  card_number text NOT NULL,
  discount bigint NOT NULL DEFAULT 0,
  bonus_points bigint NOT NULL DEFAULT 0,
  receipts bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (program_id, campaign_id, card_number)
);

-- What one calculation of a receipt takes of a campaign's budget. RESERVED
-- until the receipt is confirmed (then USED, and counted in the usage rows)
-- and only while expires_at is ahead: a receipt never confirmed stops
-- holding budget by itself. Refunds give back `returned_*`. Keyed by the
-- calculation, so a recalculation reserves beside the calculation it
-- replaces (a receipt counts once, with its largest calculation) and the
-- older one is deleted once the new one is saved.
CREATE TABLE campaign_budget_reservations (
  program_id text NOT NULL,
  receipt_id uuid NOT NULL,
  calculation integer NOT NULL,
  campaign_id text NOT NULL,
  card_number text NOT NULL,  -- '' without a card
  discount bigint NOT NULL CHECK (discount >= 0),
  bonus_points bigint NOT NULL CHECK (bonus_points >= 0),
  state text NOT NULL CHECK (state IN ('RESERVED', 'USED')),
  -- The campaign's caps when reserved, for a check at confirm when the
  -- reservation has lapsed meanwhile.
  max_discount bigint NOT NULL,
  max_bonus_points bigint NOT NULL,
  max_uses_per_client bigint NOT NULL,
  max_discount_per_client bigint NOT NULL,
  max_bonus_points_per_client bigint NOT NULL,
  expires_at timestamptz NOT NULL,
  returned_discount bigint NOT NULL DEFAULT 0,
  returned_bonus_points bigint NOT NULL DEFAULT 0,
  returned_receipt boolean NOT NULL DEFAULT false,  -- wholly refunded
  PRIMARY KEY (receipt_id, calculation, campaign_id)
);
-- What open receipts hold of a campaign.
CREATE INDEX campaign_budget_reservations_open
  ON campaign_budget_reservations (program_id, campaign_id, expires_at)
  WHERE state = 'RESERVED';

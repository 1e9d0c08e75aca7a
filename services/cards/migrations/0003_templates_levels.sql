-- Card templates, level types and levels (CRD-1, CRD-2, CRD-10), the level
-- of each card, and the activity read model levels are evaluated on.
-- Every table is keyed by program first, like the ledger's.

-- Level types: the ladders cards move in. `version` backs the etag.
CREATE TABLE level_types (
  program_id text NOT NULL,
  level_type_id uuid NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  metric text NOT NULL CHECK (metric IN ('PURCHASE_AMOUNT', 'POINTS_EARNED', 'VISITS')),
  window_kind text NOT NULL CHECK (window_kind IN ('ROLLING_DAYS', 'CALENDAR_MONTH',
                                                   'CALENDAR_QUARTER', 'CALENDAR_YEAR',
                                                   'LIFETIME')),
  window_days integer NOT NULL DEFAULT 0,
  time_zone text NOT NULL,
  state text NOT NULL CHECK (state IN ('ACTIVE', 'ARCHIVED')),
  version bigint NOT NULL DEFAULT 1 CHECK (version > 0),
  request_id text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (program_id, level_type_id),
  CHECK ((window_kind = 'ROLLING_DAYS') = (window_days > 0))
);
CREATE UNIQUE INDEX level_types_name ON level_types (program_id, lower(name))
  WHERE state = 'ACTIVE';
CREATE UNIQUE INDEX level_types_request ON level_types (program_id, request_id)
  WHERE request_id IS NOT NULL;

-- The steps of each ladder. Percentages in basis points.
CREATE TABLE levels (
  program_id text NOT NULL,
  level_id uuid NOT NULL,
  level_type_id uuid NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  threshold bigint NOT NULL CHECK (threshold >= 0),
  discount_bp integer NOT NULL CHECK (discount_bp BETWEEN 0 AND 10000),
  accrual_bp integer NOT NULL CHECK (accrual_bp BETWEEN 0 AND 10000),
  validity_days integer NOT NULL CHECK (validity_days >= 0),
  bonus_points bigint NOT NULL CHECK (bonus_points >= 0),
  state text NOT NULL CHECK (state IN ('ACTIVE', 'ARCHIVED')),
  version bigint NOT NULL DEFAULT 1 CHECK (version > 0),
  request_id text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (program_id, level_id),
  FOREIGN KEY (program_id, level_type_id) REFERENCES level_types
);
-- Thresholds strictly increase along a ladder: no two active levels of a
-- type share one, whatever the code above does.
CREATE UNIQUE INDEX levels_threshold ON levels (program_id, level_type_id, threshold)
  WHERE state = 'ACTIVE';
CREATE UNIQUE INDEX levels_name ON levels (program_id, level_type_id, lower(name))
  WHERE state = 'ACTIVE';
CREATE UNIQUE INDEX levels_request ON levels (program_id, request_id)
  WHERE request_id IS NOT NULL;

-- Card templates ("layouts").
CREATE TABLE card_templates (
  program_id text NOT NULL,
  template_id uuid NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  kind text NOT NULL CHECK (kind IN ('BONUS', 'DISCOUNT')),
  level_type_id uuid,
  discount_bp integer NOT NULL CHECK (discount_bp BETWEEN 0 AND 10000),
  background_color text NOT NULL DEFAULT '',
  foreground_color text NOT NULL DEFAULT '',
  label_color text NOT NULL DEFAULT '',
  logo_url text NOT NULL DEFAULT '',
  wallet_logo_text text NOT NULL DEFAULT '',
  wallet_description text NOT NULL DEFAULT '',
  wallet_icon_url text NOT NULL DEFAULT '',
  wallet_strip_image_url text NOT NULL DEFAULT '',
  state text NOT NULL CHECK (state IN ('ACTIVE', 'ARCHIVED')),
  version bigint NOT NULL DEFAULT 1 CHECK (version > 0),
  request_id text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (program_id, template_id),
  FOREIGN KEY (program_id, level_type_id) REFERENCES level_types,
  CHECK (kind = 'DISCOUNT' OR discount_bp = 0)
);
CREATE UNIQUE INDEX card_templates_name ON card_templates (program_id, lower(name))
  WHERE state = 'ACTIVE';
CREATE UNIQUE INDEX card_templates_request ON card_templates (program_id, request_id)
  WHERE request_id IS NOT NULL;
CREATE INDEX card_templates_level_type ON card_templates (program_id, level_type_id)
  WHERE level_type_id IS NOT NULL;

-- Template and level of each card issued with a template (written in the
-- card's issuing transaction). `level_type_id` is the template's at issue:
-- a card moves only within it. `recalc_due_at` is when the scheduled
-- recalculation should look at the card next (NULL: no level type).
CREATE TABLE card_levels (
  program_id text NOT NULL,
  card_number text NOT NULL,
  template_id uuid NOT NULL,
  level_type_id uuid,
  level_id uuid,
  start_at timestamptz,
  expire_at timestamptz,
  reason text CHECK (reason IN ('INITIAL', 'THRESHOLD_UPGRADE', 'SCHEDULED_DOWNGRADE',
                                'VALIDITY_EXPIRED', 'MANUAL')),
  recalculated_at timestamptz,  -- NULL: never by the recalculation
  recalc_due_at timestamptz,
  PRIMARY KEY (program_id, card_number),
  FOREIGN KEY (program_id, card_number) REFERENCES cards ON DELETE CASCADE,
  FOREIGN KEY (program_id, template_id) REFERENCES card_templates,
  FOREIGN KEY (program_id, level_type_id) REFERENCES level_types,
  FOREIGN KEY (program_id, level_id) REFERENCES levels,
  CHECK (level_id IS NULL OR level_type_id IS NOT NULL),
  CHECK ((level_id IS NULL) = (start_at IS NULL)),
  CHECK ((level_type_id IS NULL) = (recalc_due_at IS NULL))
);
CREATE INDEX card_levels_due ON card_levels (recalc_due_at) WHERE recalc_due_at IS NOT NULL;
CREATE INDEX card_levels_level ON card_levels (program_id, level_id) WHERE level_id IS NOT NULL;
CREATE INDEX card_levels_template ON card_levels (program_id, template_id);

-- Every change of a card's level, and the bonus that came with it.
-- `bonus_transfer_id` is the ledger transfer id of the bonus, derived from
-- level and card, so a card gets a level's bonus once. `seq` orders a
-- card's changes (they are serialised by its card_levels row lock; several
-- can share a timestamp).
CREATE TABLE card_level_history (
  program_id text NOT NULL,
  change_id uuid NOT NULL,
  seq bigserial NOT NULL,
  card_number text NOT NULL,
  level_type_id uuid NOT NULL,
  from_level_id uuid,
  to_level_id uuid,
  to_level_name text NOT NULL DEFAULT '',
  reason text NOT NULL CHECK (reason IN ('INITIAL', 'THRESHOLD_UPGRADE', 'SCHEDULED_DOWNGRADE',
                                         'VALIDITY_EXPIRED', 'MANUAL')),
  qualifying_value bigint NOT NULL DEFAULT 0,
  expire_at timestamptz,
  comment text NOT NULL DEFAULT '',
  principal_id text NOT NULL DEFAULT '',
  request_id text,
  bonus_points bigint NOT NULL DEFAULT 0 CHECK (bonus_points >= 0),
  bonus_state text NOT NULL CHECK (bonus_state IN ('NONE', 'PENDING', 'GRANTED', 'FAILED')),
  bonus_transfer_id text,
  bonus_error text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  PRIMARY KEY (program_id, change_id),
  FOREIGN KEY (program_id, card_number) REFERENCES cards ON DELETE CASCADE,
  CHECK ((bonus_state = 'NONE') = (bonus_transfer_id IS NULL)),
  CHECK ((bonus_state = 'NONE') = (bonus_points = 0))
);
CREATE INDEX card_level_history_card ON card_level_history (program_id, card_number, seq);
CREATE INDEX card_level_history_pending ON card_level_history (created_at)
  WHERE bonus_state = 'PENDING';
CREATE UNIQUE INDEX card_level_history_request ON card_level_history (program_id, request_id)
  WHERE request_id IS NOT NULL;
CREATE UNIQUE INDEX card_level_history_bonus ON card_level_history (program_id, bonus_transfer_id)
  WHERE bonus_transfer_id IS NOT NULL;

-- Activity read model: per card and local day (in the zone of the card's
-- level type, UTC without one), fed by pos's receipt events (purchases,
-- visits) and the ledger's own PointsTransferred events (points earned).
CREATE TABLE card_activity_days (
  program_id text NOT NULL,
  card_number text NOT NULL,
  day date NOT NULL,
  purchase_amount bigint NOT NULL DEFAULT 0,
  visits integer NOT NULL DEFAULT 0,
  points_earned bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (program_id, card_number, day)
);

-- Receipts seen with a card: refunds name only the receipt, and take back
-- from the day (and visit) of the purchase.
CREATE TABLE level_receipts (
  program_id text NOT NULL,
  receipt_id text NOT NULL,
  card_number text NOT NULL,
  day date NOT NULL,
  amount bigint NOT NULL,
  refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0),
  PRIMARY KEY (program_id, receipt_id)
);

-- Stream entries already applied to the activity model, written in the same
-- transaction, so redeliveries change nothing.
CREATE TABLE level_processed_events (
  program_id text NOT NULL,
  event_id text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, event_id)
);

-- Custom client attributes (CLI-2): a schema per program, values per
-- client, and the history of status-system changes.
CREATE TABLE attributes (
  program_id uuid NOT NULL REFERENCES programs,
  -- Stable, immutable slug; the attribute's name in APIs, files and events.
  key text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,63}$'),
  display_name text NOT NULL,
  -- loyalty.identity.v1.AttributeType / AttributeEditor / AttributeKind numbers.
  type smallint NOT NULL CHECK (type BETWEEN 1 AND 6),
  number_scale smallint NOT NULL DEFAULT 0 CHECK (number_scale BETWEEN 0 AND 6),
  -- ENUM and LIST: the allowed values' keys and labels, in display order.
  allowed_keys text[] NOT NULL DEFAULT '{}',
  allowed_labels text[] NOT NULL DEFAULT '{}',
  required_at_registration boolean NOT NULL DEFAULT false,
  editable_by smallint NOT NULL CHECK (editable_by BETWEEN 1 AND 3),
  kind smallint NOT NULL CHECK (kind BETWEEN 1 AND 4),
  archived boolean NOT NULL DEFAULT false,
  -- Idempotency key of the creating request.
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, key)
);
CREATE UNIQUE INDEX attributes_request ON attributes (program_id, request_id)
  WHERE request_id IS NOT NULL;

-- One row per client and attribute that has a value; one typed column is
-- set, by the attribute's type (typed so that filters can compare).
CREATE TABLE client_attribute_values (
  program_id uuid NOT NULL,
  client_id uuid NOT NULL REFERENCES clients ON DELETE CASCADE,
  key text NOT NULL,
  -- STRING and ENUM.
  text_value text,
  -- NUMBER, in units of 10^-number_scale.
  number_value bigint,
  bool_value boolean,
  date_value date,
  -- LIST: allowed-value keys.
  list_value text[],
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, client_id, key),
  FOREIGN KEY (program_id, key) REFERENCES attributes
);
-- "Does any client have a value / this value" (type changes, removed
-- allowed values) and, later, filters by value.
CREATE INDEX client_attribute_values_by_key
  ON client_attribute_values (program_id, key, text_value);

-- Status changes (attributes of kind STATUS_SYSTEM), append-only; seq is
-- the write order, newest first in reads.
CREATE TABLE client_status_history (
  seq bigserial PRIMARY KEY,
  program_id uuid NOT NULL,
  client_id uuid NOT NULL REFERENCES clients ON DELETE CASCADE,
  key text NOT NULL,
  old_value text NOT NULL DEFAULT '',
  new_value text NOT NULL DEFAULT '',
  -- loyalty.identity.v1.AttributeChangeSource number.
  source smallint NOT NULL CHECK (source BETWEEN 1 AND 5),
  changed_by text NOT NULL DEFAULT '',
  reason text NOT NULL DEFAULT '',
  changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX client_status_history_client
  ON client_status_history (program_id, client_id, seq DESC);

-- One row per SetClientAttributes request id: what it asked for, so that a
-- retry answers without a second effect and a reused id is refused.
CREATE TABLE attribute_value_requests (
  program_id uuid NOT NULL,
  request_id text NOT NULL,
  client_id uuid NOT NULL,
  fingerprint text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, request_id)
);

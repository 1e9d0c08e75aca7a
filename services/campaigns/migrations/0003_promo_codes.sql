-- Promo codes (CMP-3). Independent of 0002's tables: a pool may name a
-- campaign, but only as an id (no foreign key), so pools can be prepared
-- before the campaign and migrations apply in any order of review.
CREATE TABLE promo_code_pools (
  pool_id uuid PRIMARY KEY,
  program_id text NOT NULL,
  name text NOT NULL,
  -- SHARED | UNIQUE
  kind text NOT NULL CHECK (kind IN ('SHARED', 'UNIQUE')),
  -- 0 = unlimited (SHARED only).
  max_uses_per_code integer NOT NULL CHECK (max_uses_per_code >= 0),
  -- 0 = no limit.
  per_client_limit integer NOT NULL CHECK (per_client_limit >= 0),
  start_time timestamptz,
  end_time timestamptz,
  campaign_id uuid,
  archived_at timestamptz,
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (start_time IS NULL OR end_time IS NULL OR end_time > start_time),
  CHECK (kind = 'SHARED' OR max_uses_per_code > 0)
);
CREATE UNIQUE INDEX promo_code_pools_request ON promo_code_pools (program_id, request_id)
  WHERE request_id IS NOT NULL;
CREATE INDEX promo_code_pools_listing ON promo_code_pools (program_id, created_at DESC, pool_id);

-- Every code, the shared code of a SHARED pool included, so that one unique
-- index keeps codes unique within a program whatever their pool.
CREATE TABLE promo_codes (
  code_id bigserial PRIMARY KEY,
  program_id text NOT NULL,
  pool_id uuid NOT NULL REFERENCES promo_code_pools (pool_id),
  -- Upper case, trimmed.
  code text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (program_id, code)
);
-- ListCodes: a pool's codes in the order they were added.
CREATE INDEX promo_codes_pool ON promo_codes (pool_id, code_id);

-- GenerateCodes / ImportCodes calls, kept for request-id idempotency.
CREATE TABLE promo_code_batches (
  program_id text NOT NULL,
  request_id text NOT NULL,
  pool_id uuid NOT NULL REFERENCES promo_code_pools (pool_id),
  -- GENERATED | IMPORTED
  source text NOT NULL,
  added integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, request_id)
);

-- One use of a code by one receipt. reservation_id is the caller's key.
CREATE TABLE promo_code_reservations (
  program_id text NOT NULL,
  reservation_id text NOT NULL,
  code_id bigint NOT NULL REFERENCES promo_codes (code_id),
  pool_id uuid NOT NULL,
  client_id text,
  receipt_reference text NOT NULL DEFAULT '',
  -- RESERVED | CONSUMED | RELEASED
  state text NOT NULL CHECK (state IN ('RESERVED', 'CONSUMED', 'RELEASED')),
  -- A RESERVED row stops counting after this; checked when counting.
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, reservation_id)
);
-- Use counts of a code and of a client in a pool skip released rows.
CREATE INDEX promo_code_reservations_code ON promo_code_reservations (code_id, state, expires_at)
  WHERE state <> 'RELEASED';
CREATE INDEX promo_code_reservations_client
  ON promo_code_reservations (pool_id, client_id, state, expires_at)
  WHERE client_id IS NOT NULL AND state <> 'RELEASED';

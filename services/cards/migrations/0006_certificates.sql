-- Gift certificates (CRD-8): money in minor units, kept apart from the
-- points ledger (whose accounts, postings and invariants are per points).
-- A certificate's balance is the sum of its operations, never below 0 nor
-- above its nominal; operations are append-only like the ledger's postings.

CREATE TABLE certificates (
  program_id text NOT NULL,
  number text NOT NULL,
  nominal bigint NOT NULL CHECK (nominal > 0),
  -- The sum of the certificate's operations, kept in step under the row
  -- lock every money operation takes.
  balance bigint NOT NULL,
  -- Stored status; EXPIRED and REDEEMED are derived when read.
  status text NOT NULL CHECK (status IN ('ACTIVE', 'BLOCKED')),
  status_reason text NOT NULL DEFAULT '',
  status_changed_at timestamptz,
  status_actor text NOT NULL DEFAULT '',
  expire_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  -- The store that sold it, if any.
  sold_store_id text NOT NULL DEFAULT '',
  -- IssueCertificate's idempotency key and the digest of its request.
  request_id text,
  fingerprint text NOT NULL,
  batch_id text,
  PRIMARY KEY (program_id, number),
  CONSTRAINT certificate_balance_range CHECK (balance >= 0 AND balance <= nominal)
);
CREATE UNIQUE INDEX certificates_request ON certificates (program_id, request_id)
  WHERE request_id IS NOT NULL;
CREATE INDEX certificates_batch ON certificates (program_id, batch_id) WHERE batch_id IS NOT NULL;

-- Batch issues, keyed by their request id.
CREATE TABLE certificate_batches (
  program_id text NOT NULL,
  batch_id text NOT NULL,
  fingerprint text NOT NULL,
  certificate_count integer NOT NULL CHECK (certificate_count > 0),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (program_id, batch_id)
);

-- Every movement of a certificate's money, keyed by its caller-supplied id
-- (the idempotency record): ISSUE (+nominal, once, first), REDEMPTION (-,
-- one-step or a posted hold) and REFUND (+, of one redemption). `seq`
-- orders a certificate's operations; `balance_after` is its balance right
-- after.
CREATE TABLE certificate_operations (
  seq bigserial NOT NULL UNIQUE,
  program_id text NOT NULL,
  operation_id text NOT NULL,
  number text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('ISSUE', 'REDEMPTION', 'REFUND')),
  amount bigint NOT NULL CHECK (amount <> 0),
  balance_after bigint NOT NULL CHECK (balance_after >= 0),
  fingerprint text NOT NULL,
  -- The hold a REDEMPTION posted.
  hold_id text,
  -- The REDEMPTION a REFUND gives back.
  refund_of text,
  store_id text NOT NULL DEFAULT '',
  reference text NOT NULL DEFAULT '',
  reason text NOT NULL DEFAULT '',
  actor text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  PRIMARY KEY (program_id, operation_id),
  FOREIGN KEY (program_id, number) REFERENCES certificates,
  FOREIGN KEY (program_id, refund_of) REFERENCES certificate_operations,
  CHECK ((kind = 'REDEMPTION') = (amount < 0)),
  CHECK (hold_id IS NULL OR kind = 'REDEMPTION'),
  CHECK ((refund_of IS NOT NULL) = (kind = 'REFUND'))
);
CREATE INDEX certificate_operations_history ON certificate_operations (program_id, number, seq);
CREATE INDEX certificate_operations_refunds ON certificate_operations (program_id, refund_of)
  WHERE refund_of IS NOT NULL;
-- A hold is posted by at most one operation, whatever the code above does.
CREATE UNIQUE INDEX certificate_operations_hold ON certificate_operations (program_id, hold_id)
  WHERE hold_id IS NOT NULL;
CREATE UNIQUE INDEX certificate_operations_issue ON certificate_operations (program_id, number)
  WHERE kind = 'ISSUE';

CREATE TRIGGER certificate_operations_append_only
  BEFORE UPDATE OR DELETE ON certificate_operations
  FOR EACH ROW EXECUTE FUNCTION refuse_ledger_edit();

-- Two-phase redemptions at the till: HELD until posted (possibly for less),
-- voided or expired. A HELD hold past expire_at reserves nothing (lazily;
-- VoidHold writes EXPIRED down).
CREATE TABLE certificate_holds (
  program_id text NOT NULL,
  hold_id text NOT NULL,
  number text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  state text NOT NULL CHECK (state IN ('HELD', 'POSTED', 'VOIDED', 'EXPIRED')),
  fingerprint text NOT NULL,
  store_id text NOT NULL DEFAULT '',
  reference text NOT NULL DEFAULT '',
  expire_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  resolved_at timestamptz,
  posted_operation_id text,
  PRIMARY KEY (program_id, hold_id),
  FOREIGN KEY (program_id, number) REFERENCES certificates,
  FOREIGN KEY (program_id, posted_operation_id) REFERENCES certificate_operations,
  CHECK ((state = 'POSTED') = (posted_operation_id IS NOT NULL)),
  CHECK ((state = 'HELD') = (resolved_at IS NULL))
);
CREATE INDEX certificate_holds_open ON certificate_holds (program_id, number) WHERE state = 'HELD';

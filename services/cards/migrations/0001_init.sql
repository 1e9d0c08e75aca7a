-- Cards and the points ledger. Every table is keyed by program first: rows
-- of different programs never meet, and partitioning by program later needs
-- no key change.

-- Times cross the wire as microseconds since the Unix epoch (exact in
-- bigint, unlike a float); these two keep the SQL readable.
CREATE FUNCTION micros_to_ts(bigint) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT 'epoch'::timestamptz + $1 * interval '1 microsecond' $$;
CREATE FUNCTION ts_to_micros(timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT (extract(epoch FROM $1) * 1000000)::bigint $$;

-- Points accounts. Member accounts keep their balance (the sum of their
-- postings) in `balance`, kept in step by the ledger under a row lock.
-- System accounts (one per kind and program, created on first use) keep
-- none: every transfer of the program touches one of them, so a stored
-- running total would be a row every transfer in the program queues on.
-- Their balance is the sum of their postings.
CREATE TABLE accounts (
  program_id text NOT NULL,
  account_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('member', 'issued', 'redeemed', 'expired',
                                     'adjustment', 'partner_clearing')),
  balance bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, account_id),
  CONSTRAINT only_members_store_balance CHECK ((kind = 'member') = (balance IS NOT NULL)),
  -- The floor of every member account is 0 for now.
  CONSTRAINT member_balance_floor CHECK (balance IS NULL OR balance >= 0)
);
CREATE UNIQUE INDEX accounts_system_kind ON accounts (program_id, kind)
  WHERE kind <> 'member';

CREATE TABLE cards (
  program_id text NOT NULL,
  number text NOT NULL,
  barcode text NOT NULL,
  client_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('ACTIVE', 'BLOCKED', 'LOST', 'DELETED')),
  account_id uuid NOT NULL,
  -- IssueCard's idempotency key and the request it was used for.
  request_id text,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (program_id, number),
  -- Deferred: the card row is written first, so that losing an idempotency
  -- race leaves no orphan account behind.
  FOREIGN KEY (program_id, account_id) REFERENCES accounts
    DEFERRABLE INITIALLY DEFERRED
);
CREATE UNIQUE INDEX cards_barcode ON cards (program_id, barcode);
CREATE UNIQUE INDEX cards_request ON cards (program_id, request_id)
  WHERE request_id IS NOT NULL;
CREATE INDEX cards_client ON cards (program_id, client_id);

-- One row per applied transfer id: the idempotency record and the header
-- of the two postings. `fingerprint` digests the request content; `amount`
-- is what actually moved (an accrual reversal may move less than asked).
CREATE TABLE transfers (
  program_id text NOT NULL,
  transfer_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('ACCRUAL', 'REDEMPTION', 'ACCRUAL_REVERSAL',
                                     'REDEMPTION_REVERSAL')),
  fingerprint text NOT NULL,
  card_number text NOT NULL,
  -- Money moves from debit_account_id to credit_account_id.
  debit_account_id uuid NOT NULL,
  credit_account_id uuid NOT NULL,
  requested_amount bigint NOT NULL CHECK (requested_amount > 0),
  amount bigint NOT NULL CHECK (amount >= 0 AND amount <= requested_amount),
  hold_id text,
  reference text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  PRIMARY KEY (program_id, transfer_id),
  FOREIGN KEY (program_id, debit_account_id) REFERENCES accounts,
  FOREIGN KEY (program_id, credit_account_id) REFERENCES accounts,
  CHECK (debit_account_id <> credit_account_id)
);
-- A hold is posted by at most one transfer, whatever the code above does.
CREATE UNIQUE INDEX transfers_hold ON transfers (program_id, hold_id)
  WHERE hold_id IS NOT NULL;

-- Immutable double-entry postings: each transfer that moved points has
-- exactly two, -amount on the debit account and +amount on the credit one.
CREATE TABLE postings (
  posting_id bigserial PRIMARY KEY,
  program_id text NOT NULL,
  transfer_id text NOT NULL,
  account_id uuid NOT NULL,
  amount bigint NOT NULL CHECK (amount <> 0),
  created_at timestamptz NOT NULL,
  FOREIGN KEY (program_id, transfer_id) REFERENCES transfers,
  FOREIGN KEY (program_id, account_id) REFERENCES accounts
);
CREATE INDEX postings_account ON postings (program_id, account_id);
CREATE INDEX postings_transfer ON postings (program_id, transfer_id);

-- Points of a member account come in lots, each with an activation time and
-- an optional expiry; `remaining` falls as redemptions and reversals take
-- from it (recorded in lot_consumptions).
CREATE TABLE lots (
  lot_id bigserial PRIMARY KEY,
  program_id text NOT NULL,
  account_id uuid NOT NULL,
  -- The ACCRUAL or REDEMPTION_REVERSAL that created the lot.
  transfer_id text NOT NULL,
  origin_kind text NOT NULL CHECK (origin_kind IN ('ACCRUAL', 'REDEMPTION_REVERSAL')),
  reference text NOT NULL DEFAULT '',
  amount bigint NOT NULL CHECK (amount > 0),
  remaining bigint NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
  activate_at timestamptz NOT NULL,
  expire_at timestamptz,
  FOREIGN KEY (program_id, account_id) REFERENCES accounts,
  FOREIGN KEY (program_id, transfer_id) REFERENCES transfers,
  UNIQUE (program_id, transfer_id)
);
CREATE INDEX lots_open ON lots (program_id, account_id) WHERE remaining > 0;

CREATE TABLE lot_consumptions (
  program_id text NOT NULL,
  lot_id bigint NOT NULL REFERENCES lots,
  transfer_id text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  PRIMARY KEY (lot_id, transfer_id),
  FOREIGN KEY (program_id, transfer_id) REFERENCES transfers
);
CREATE INDEX lot_consumptions_transfer ON lot_consumptions (program_id, transfer_id);

-- Two-phase redemptions. `state` is HELD until posted or voided; a HELD
-- hold past expire_at counts as expired everywhere (lazily: nothing sweeps
-- it yet). `fingerprint` makes HoldPoints idempotent like transfers.
CREATE TABLE holds (
  program_id text NOT NULL,
  hold_id text NOT NULL,
  account_id uuid NOT NULL,
  card_number text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  state text NOT NULL CHECK (state IN ('HELD', 'POSTED', 'VOIDED', 'EXPIRED')),
  fingerprint text NOT NULL,
  expire_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  resolved_at timestamptz,
  posted_transfer_id text,
  PRIMARY KEY (program_id, hold_id),
  FOREIGN KEY (program_id, account_id) REFERENCES accounts,
  FOREIGN KEY (program_id, posted_transfer_id) REFERENCES transfers,
  CHECK ((state = 'POSTED') = (posted_transfer_id IS NOT NULL)),
  CHECK ((state = 'HELD') = (resolved_at IS NULL))
);
CREATE INDEX holds_open ON holds (program_id, account_id) WHERE state = 'HELD';

-- The ledger's history is append-only: refuse edits of postings, transfer
-- records and consumptions even from a buggy release or a manual session.
CREATE FUNCTION refuse_ledger_edit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% of % is not allowed: the ledger is append-only',
    TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
  FOR EACH ROW EXECUTE FUNCTION refuse_ledger_edit();
CREATE TRIGGER transfers_append_only BEFORE UPDATE OR DELETE ON transfers
  FOR EACH ROW EXECUTE FUNCTION refuse_ledger_edit();
CREATE TRIGGER lot_consumptions_append_only BEFORE UPDATE OR DELETE ON lot_consumptions
  FOR EACH ROW EXECUTE FUNCTION refuse_ledger_edit();

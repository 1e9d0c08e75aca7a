-- The rest of the ledger (expiry sweep, manual corrections, history) and
-- the card lifecycle (statuses with reasons, unowned batch cards, several
-- holders per card).

-- New transfer kinds: EXPIRATION (member -> expired, written by the expiry
-- sweep only) and manual corrections against the adjustment account.
ALTER TABLE transfers DROP CONSTRAINT transfers_kind_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_kind_check
  CHECK (kind IN ('ACCRUAL', 'REDEMPTION', 'ACCRUAL_REVERSAL', 'REDEMPTION_REVERSAL',
                  'EXPIRATION', 'CORRECTION_CREDIT', 'CORRECTION_DEBIT'));
-- Why the transfer was made (mandatory for corrections) and who made it
-- (the API key or operator from the call, empty for the system's own jobs).
ALTER TABLE transfers ADD COLUMN reason text NOT NULL DEFAULT '';
ALTER TABLE transfers ADD COLUMN actor text NOT NULL DEFAULT '';

ALTER TABLE lots DROP CONSTRAINT lots_origin_kind_check;
ALTER TABLE lots ADD CONSTRAINT lots_origin_kind_check
  CHECK (origin_kind IN ('ACCRUAL', 'REDEMPTION_REVERSAL', 'CORRECTION_CREDIT'));

-- The expiry sweep (program by program) looks for lots whose time is up
-- and holds left HELD past their expiry; "expiring soon" lists read the
-- same index.
CREATE INDEX lots_due ON lots (program_id, expire_at)
  WHERE remaining > 0 AND expire_at IS NOT NULL;
CREATE INDEX holds_due ON holds (program_id, expire_at) WHERE state = 'HELD';
-- History pages walk an account's postings newest first.
CREATE INDEX postings_account_order ON postings (program_id, account_id, posting_id);
DROP INDEX postings_account;

-- Cards issued in batches (plastic printed in advance) belong to nobody
-- until a member registers with one: client_id is then set once.
ALTER TABLE cards ALTER COLUMN client_id DROP NOT NULL;
ALTER TABLE cards ADD COLUMN status_reason text NOT NULL DEFAULT '';
ALTER TABLE cards ADD COLUMN status_changed_at timestamptz;
ALTER TABLE cards ADD COLUMN issue_form text NOT NULL DEFAULT 'VIRTUAL'
  CHECK (issue_form IN ('PLASTIC', 'VIRTUAL'));
ALTER TABLE cards ADD COLUMN issue_store_id text NOT NULL DEFAULT '';
ALTER TABLE cards ADD COLUMN batch_id text;
CREATE INDEX cards_account ON cards (program_id, account_id);
CREATE INDEX cards_batch ON cards (program_id, batch_id) WHERE batch_id IS NOT NULL;

-- Every status change, with its reason and who made it.
CREATE TABLE card_status_changes (
  change_id bigserial PRIMARY KEY,
  program_id text NOT NULL,
  number text NOT NULL,
  from_status text NOT NULL,
  to_status text NOT NULL,
  reason text NOT NULL,
  actor text NOT NULL,
  changed_at timestamptz NOT NULL,
  FOREIGN KEY (program_id, number) REFERENCES cards
);
CREATE INDEX card_status_changes_card ON card_status_changes (program_id, number, change_id);

-- Members who share a card besides its owner (cards.client_id).
CREATE TABLE card_holders (
  program_id text NOT NULL,
  number text NOT NULL,
  client_id uuid NOT NULL,
  added_at timestamptz NOT NULL,
  PRIMARY KEY (program_id, number, client_id),
  FOREIGN KEY (program_id, number) REFERENCES cards
);
CREATE INDEX card_holders_client ON card_holders (program_id, client_id);

-- Batch issues, keyed by their request id: a retried batch returns the
-- cards of the first one.
CREATE TABLE card_batches (
  program_id text NOT NULL,
  batch_id text NOT NULL,
  fingerprint text NOT NULL,
  card_count integer NOT NULL CHECK (card_count > 0),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (program_id, batch_id)
);

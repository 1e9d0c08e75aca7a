-- Master accounts (CRD-6): several cards share one member account. A card
-- joining moves its lots in (POOL_JOIN, one transfer per lot, keeping
-- activation and expiry) and then points at the shared account; a card
-- leaving takes its share out into a new own account (POOL_LEAVE).
ALTER TABLE transfers DROP CONSTRAINT transfers_kind_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_kind_check
  CHECK (kind IN ('ACCRUAL', 'REDEMPTION', 'ACCRUAL_REVERSAL', 'REDEMPTION_REVERSAL',
                  'EXPIRATION', 'CORRECTION_CREDIT', 'CORRECTION_DEBIT', 'MERGE',
                  'POOL_JOIN', 'POOL_LEAVE'));
ALTER TABLE lots DROP CONSTRAINT lots_origin_kind_check;
ALTER TABLE lots ADD CONSTRAINT lots_origin_kind_check
  CHECK (origin_kind IN ('ACCRUAL', 'REDEMPTION_REVERSAL', 'CORRECTION_CREDIT', 'MERGE',
                         'POOL_JOIN', 'POOL_LEAVE'));

-- The shared account is an ordinary member account; this row makes it a
-- master account. Its id is the account's.
CREATE TABLE master_accounts (
  program_id text NOT NULL,
  account_id uuid NOT NULL,
  default_leave_rule text NOT NULL
    CHECK (default_leave_rule IN ('PROPORTIONAL', 'OWN_REMAINING', 'NOTHING')),
  state text NOT NULL CHECK (state IN ('ACTIVE', 'DISSOLVED')),
  created_at timestamptz NOT NULL,
  dissolved_at timestamptz,
  PRIMARY KEY (program_id, account_id),
  FOREIGN KEY (program_id, account_id) REFERENCES accounts,
  CHECK ((state = 'DISSOLVED') = (dissolved_at IS NOT NULL))
);

-- One row per membership (a card may leave and join again later).
-- Contributions are derived from the ledger: the membership's postings on
-- the master account are those with posting_id > posting_floor (taken from
-- the sequence when the card joined, before any of them existed) whose
-- transfer names the card.
CREATE TABLE master_members (
  membership_id bigint PRIMARY KEY,
  program_id text NOT NULL,
  account_id uuid NOT NULL,
  card_number text NOT NULL,
  -- The card's account before it joined (left behind empty).
  own_account_id uuid NOT NULL,
  posting_floor bigint NOT NULL,
  -- Sum of the membership's POOL_JOIN transfers.
  joined_points bigint NOT NULL CHECK (joined_points >= 0),
  joined_at timestamptz NOT NULL,
  left_at timestamptz,
  leave_rule text CHECK (leave_rule IN ('PROPORTIONAL', 'OWN_REMAINING', 'NOTHING')),
  -- Sum of the membership's POOL_LEAVE transfers, into leave_account_id.
  taken_points bigint CHECK (taken_points >= 0),
  leave_account_id uuid,
  FOREIGN KEY (program_id, account_id) REFERENCES master_accounts,
  FOREIGN KEY (program_id, card_number) REFERENCES cards,
  FOREIGN KEY (program_id, own_account_id) REFERENCES accounts,
  FOREIGN KEY (program_id, leave_account_id) REFERENCES accounts,
  CHECK ((left_at IS NULL) = (leave_rule IS NULL) AND (left_at IS NULL) = (taken_points IS NULL)
         AND (left_at IS NULL) = (leave_account_id IS NULL))
);
CREATE SEQUENCE master_members_membership_id_seq OWNED BY master_members.membership_id;
-- A card is in at most one master account at a time.
CREATE UNIQUE INDEX master_members_current ON master_members (program_id, card_number)
  WHERE left_at IS NULL;
CREATE INDEX master_members_account ON master_members (program_id, account_id);

-- Idempotency of CreateMasterAccount, AddMember and RemoveMember.
CREATE TABLE master_account_requests (
  program_id text NOT NULL,
  request_id text NOT NULL,
  fingerprint text NOT NULL,
  account_id uuid NOT NULL,
  -- The membership a RemoveMember ended (its result), NULL otherwise.
  membership_id bigint REFERENCES master_members,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (program_id, request_id)
);

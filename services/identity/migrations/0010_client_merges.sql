-- Merging duplicate clients (CLI-7). A merged duplicate stays (history is
-- kept) with merged_into set; its unique keys moved to the survivor.
ALTER TABLE clients ADD COLUMN merged_into uuid;

-- One row per merge, keyed by its request id. Identity's part and the
-- cards' part cannot commit together: the row is written CARDS_PENDING in
-- identity's transaction and set DONE once cards moved the duplicate's
-- cards, so a retry of the request or the background job finishes a merge
-- whose process died in between.
CREATE TABLE client_merges (
  program_id uuid NOT NULL,
  request_id text NOT NULL,
  survivor_id uuid NOT NULL REFERENCES clients,
  duplicate_id uuid NOT NULL REFERENCES clients,
  state text NOT NULL CHECK (state IN ('CARDS_PENDING', 'DONE')),
  added_tag_ids uuid[] NOT NULL DEFAULT '{}',
  filled_fields text[] NOT NULL DEFAULT '{}',
  moved_consent_records int NOT NULL DEFAULT 0,
  -- The duplicate's unique keys and e-mail as they were before the merge
  -- freed them (history; the survivor may have taken some).
  former_phone text,
  former_email text,
  former_external_id text,
  former_referral_code text,
  owned_card_numbers text[] NOT NULL DEFAULT '{}',
  held_card_numbers text[] NOT NULL DEFAULT '{}',
  -- Failed attempts of the cards step, and why the last one failed.
  cards_attempts int NOT NULL DEFAULT 0,
  last_error text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  PRIMARY KEY (program_id, request_id),
  CHECK ((state = 'DONE') = (completed_at IS NOT NULL))
);
-- A client is merged away at most once.
CREATE UNIQUE INDEX client_merges_duplicate ON client_merges (program_id, duplicate_id);
-- The background job's queue.
CREATE INDEX client_merges_pending ON client_merges (created_at) WHERE state = 'CARDS_PENDING';

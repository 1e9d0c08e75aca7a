-- ReassignClientCards (identity's client merge, CLI-7): one row per
-- request id with its result, so that a retry answers as the first call
-- did and the id cannot be reused for other clients.
CREATE TABLE client_card_reassignments (
  program_id text NOT NULL,
  request_id text NOT NULL,
  from_client_id uuid NOT NULL,
  to_client_id uuid NOT NULL,
  owned_card_numbers text[] NOT NULL,
  held_card_numbers text[] NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (program_id, request_id)
);

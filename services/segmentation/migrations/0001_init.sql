-- Manual segments. The program id is identity's opaque id, kept as text.
CREATE TABLE segments (
  segment_id uuid PRIMARY KEY,
  program_id text NOT NULL,
  name text NOT NULL,
  -- Maintained with every insert into segment_members, in the same
  -- transaction, so reading a segment's size costs no count(*).
  member_count bigint NOT NULL DEFAULT 0 CHECK (member_count >= 0),
  -- Idempotency key of the creating request.
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX segments_request ON segments (program_id, request_id)
  WHERE request_id IS NOT NULL;

CREATE TABLE segment_members (
  segment_id uuid NOT NULL REFERENCES segments ON DELETE CASCADE,
  client_id uuid NOT NULL,
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (segment_id, client_id)
);

-- Client facts read model, fed by identity's ClientRegistered events.
CREATE TABLE known_clients (
  program_id text NOT NULL,
  client_id uuid NOT NULL,
  registered_at timestamptz NOT NULL,
  PRIMARY KEY (program_id, client_id)
);

-- Ids of the events already applied; written in the same transaction as
-- their effect, so a redelivered event is recognised and skipped.
CREATE TABLE processed_events (
  event_id text PRIMARY KEY,
  processed_at timestamptz NOT NULL DEFAULT now()
);

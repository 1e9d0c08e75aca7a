-- Message templates. The program id is identity's opaque id, kept as text.
CREATE TABLE templates (
  template_id uuid PRIMARY KEY,
  program_id text NOT NULL,
  name text NOT NULL,
  -- SMS | EMAIL | TELEGRAM | PUSH
  channel text NOT NULL,
  subject text NOT NULL DEFAULT '',
  body text NOT NULL,
  -- Idempotency key of the creating request.
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Names are unique in a program; this index also serves the listing.
  UNIQUE (program_id, name)
);
CREATE UNIQUE INDEX templates_request ON templates (program_id, request_id)
  WHERE request_id IS NOT NULL;

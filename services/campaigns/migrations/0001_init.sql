-- Campaigns of a program. The program id is identity's opaque id, kept as
-- text: campaigns does not own it and never joins on it elsewhere.
CREATE TABLE campaigns (
  campaign_id uuid PRIMARY KEY,
  program_id text NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  -- DRAFT | ACTIVE | PAUSED | FINISHED
  state text NOT NULL,
  priority integer NOT NULL CHECK (priority BETWEEN 0 AND 1000),
  start_time timestamptz,
  end_time timestamptz,
  -- Idempotency key of the creating request.
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (start_time IS NULL OR end_time IS NULL OR end_time > start_time)
);
CREATE UNIQUE INDEX campaigns_request ON campaigns (program_id, request_id)
  WHERE request_id IS NOT NULL;
-- ListCampaigns: highest priority first, then name.
CREATE INDEX campaigns_listing ON campaigns (program_id, priority DESC, name, campaign_id);

-- Campaign rules, versions and the per-program snapshot of active campaigns.

-- The current version and its rule part (stacking, schedule, audience,
-- rules) as the JSON of a loyalty.campaigns.v1.Campaign with proto field
-- names; name, description, priority and start/end stay columns (listing,
-- checks).
ALTER TABLE campaigns
  ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  ADD COLUMN definition jsonb NOT NULL DEFAULT '{}';

-- Every version of every campaign, the current one included, so that a
-- receipt that recorded a version can be explained later.
CREATE TABLE campaign_versions (
  campaign_id uuid NOT NULL REFERENCES campaigns (campaign_id),
  version bigint NOT NULL CHECK (version >= 1),
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  priority integer NOT NULL,
  start_time timestamptz,
  end_time timestamptz,
  definition jsonb NOT NULL,
  -- Idempotency key of the UpdateCampaign call that made this version.
  request_id text,
  -- API key or operator id of whoever made it (empty when unknown).
  author text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (campaign_id, version)
);
CREATE UNIQUE INDEX campaign_versions_request ON campaign_versions (campaign_id, request_id)
  WHERE request_id IS NOT NULL;

-- Campaigns created before versions existed become version 1 as they are.
INSERT INTO campaign_versions (campaign_id, version, name, description, priority,
                               start_time, end_time, definition, created_at)
SELECT campaign_id, 1, name, description, priority, start_time, end_time, definition, created_at
FROM campaigns;

-- Per program, a counter bumped in every transaction that changes the set
-- of ACTIVE campaigns or an active definition; pos compares it with the one
-- it holds.
CREATE TABLE campaign_snapshots (
  program_id text PRIMARY KEY,
  snapshot_version bigint NOT NULL CHECK (snapshot_version >= 1)
);

-- GetActiveCampaigns.
CREATE INDEX campaigns_active ON campaigns (program_id, priority DESC, campaign_id)
  WHERE state = 'ACTIVE';

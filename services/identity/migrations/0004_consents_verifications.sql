-- Consents (CLI-3): an append-only history per client. The current state of
-- a kind is the record with the latest consent_time (ties: the latest seq);
-- clients.marketing_consent is a projection of the marketing kind, updated
-- in the same transaction as the history.
CREATE TABLE client_consents (
  -- Write order, the tie-break of equal consent times.
  seq bigserial PRIMARY KEY,
  record_id uuid NOT NULL UNIQUE,
  program_id uuid NOT NULL,
  client_id uuid NOT NULL REFERENCES clients ON DELETE CASCADE,
  -- loyalty.identity.v1.ConsentKind / ConsentSource numbers.
  kind smallint NOT NULL CHECK (kind > 0),
  given boolean NOT NULL,
  source smallint NOT NULL CHECK (source > 0),
  text_version text NOT NULL DEFAULT '',
  consent_time timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  recorded_by_principal_id text NOT NULL DEFAULT '',
  recorded_by_role text NOT NULL DEFAULT '',
  -- Idempotency key of the writing RecordConsents call.
  request_id text
);
-- History pages (newest first) and the current state per kind.
CREATE INDEX client_consents_history ON client_consents (program_id, client_id, seq DESC);
CREATE INDEX client_consents_request ON client_consents (program_id, request_id)
  WHERE request_id IS NOT NULL;

-- One row per RecordConsents request id: what it asked for, so that reusing
-- the id for another request is refused rather than answered wrongly.
CREATE TABLE consent_requests (
  program_id uuid NOT NULL,
  request_id text NOT NULL,
  client_id uuid NOT NULL,
  fingerprint text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, request_id)
);

-- Verification of a phone or e-mail by one-time code (CLI-5). The code is
-- kept only as HMAC-SHA-256 under a server key. A verified row is the
-- verified state of that contact value: it counts while the client still
-- has that value.
CREATE TABLE contact_verifications (
  verification_id uuid PRIMARY KEY,
  program_id uuid NOT NULL,
  client_id uuid NOT NULL REFERENCES clients ON DELETE CASCADE,
  -- loyalty.identity.v1.VerificationChannel number.
  channel smallint NOT NULL CHECK (channel IN (1, 2)),
  -- The phone or e-mail the code was sent to.
  contact text NOT NULL,
  code_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  failed_attempts int NOT NULL DEFAULT 0,
  max_attempts int NOT NULL,
  verified_at timestamptz,
  request_id text
);
-- Resend throttling and the latest verified contact per client and channel.
CREATE INDEX contact_verifications_client
  ON contact_verifications (program_id, client_id, channel, created_at DESC);
CREATE UNIQUE INDEX contact_verifications_request
  ON contact_verifications (program_id, request_id) WHERE request_id IS NOT NULL;

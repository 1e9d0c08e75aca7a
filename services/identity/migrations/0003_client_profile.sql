-- The rest of the client profile (CLI-1), identification keys (CLI-4) and
-- a row version for etags.
ALTER TABLE clients
  ADD COLUMN phone_verified boolean NOT NULL DEFAULT false,
  ADD COLUMN email_verified boolean NOT NULL DEFAULT false,
  ADD COLUMN city text NOT NULL DEFAULT '',
  ADD COLUMN car_number text NOT NULL DEFAULT '',
  ADD COLUMN extra_key1 text NOT NULL DEFAULT '',
  ADD COLUMN extra_key2 text NOT NULL DEFAULT '',
  ADD COLUMN extra_key3 text NOT NULL DEFAULT '',
  ADD COLUMN extra_key4 text NOT NULL DEFAULT '',
  ADD COLUMN extra_key5 text NOT NULL DEFAULT '',
  ADD COLUMN extra_key6 text NOT NULL DEFAULT '',
  -- NULL when not set, so that the unique index ignores clients without.
  ADD COLUMN external_id text,
  ADD COLUMN referral_code text,
  -- No foreign key: the store checks the referrer is a client of the same
  -- program, which a plain key on client_id could not.
  ADD COLUMN referrer_client_id uuid,
  ADD COLUMN utm_source text NOT NULL DEFAULT '',
  ADD COLUMN utm_medium text NOT NULL DEFAULT '',
  ADD COLUMN utm_campaign text NOT NULL DEFAULT '',
  ADD COLUMN utm_content text NOT NULL DEFAULT '',
  ADD COLUMN utm_term text NOT NULL DEFAULT '',
  -- loyalty.identity.v1.Device number.
  ADD COLUMN device smallint NOT NULL DEFAULT 0,
  ADD COLUMN issuance_form text NOT NULL DEFAULT '',
  ADD COLUMN registration_store_id text NOT NULL DEFAULT '',
  -- Bumped by every change; the etag is made from it.
  ADD COLUMN version bigint NOT NULL DEFAULT 1;

CREATE UNIQUE INDEX clients_external_id ON clients (program_id, external_id)
  WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX clients_referral_code ON clients (program_id, referral_code)
  WHERE referral_code IS NOT NULL;
-- Identification by e-mail ignores case; e-mails are stored lower-cased,
-- so the existing (program_id, email) index serves it.

-- Social profile links of a client, in the order given (at most 10).
CREATE TABLE client_social_profiles (
  client_id uuid NOT NULL REFERENCES clients ON DELETE CASCADE,
  position int NOT NULL,
  network text NOT NULL,
  url text NOT NULL,
  PRIMARY KEY (client_id, position)
);

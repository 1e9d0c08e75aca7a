-- Programs (tenants) and the API keys that select them.
CREATE TABLE programs (
  program_id uuid PRIMARY KEY,
  name text NOT NULL,
  time_zone text NOT NULL,
  default_country_code text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  api_key_id uuid PRIMARY KEY,
  program_id uuid NOT NULL REFERENCES programs,
  display_name text NOT NULL,
  role text NOT NULL,
  store_id text NOT NULL DEFAULT '',
  partner_id text NOT NULL DEFAULT '',
  -- SHA-256 of the secret; the secret itself is never stored.
  secret_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

-- Members. Phone and e-mail are normalised before they get here.
CREATE TABLE clients (
  client_id uuid PRIMARY KEY,
  program_id uuid NOT NULL REFERENCES programs,
  last_name text NOT NULL DEFAULT '',
  first_name text NOT NULL DEFAULT '',
  middle_name text NOT NULL DEFAULT '',
  phone text,
  email text,
  birth_date date,
  gender smallint NOT NULL DEFAULT 0,
  marketing_consent boolean NOT NULL DEFAULT false,
  -- Idempotency key of the registering request.
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX clients_phone ON clients (program_id, phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX clients_request ON clients (program_id, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX clients_email ON clients (program_id, email) WHERE email IS NOT NULL;
CREATE INDEX clients_listing ON clients (program_id, created_at DESC, client_id DESC);

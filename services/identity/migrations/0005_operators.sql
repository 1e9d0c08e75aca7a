-- Operator accounts (CLI-15): people who sign in to a program's back office.
CREATE TABLE operators (
  program_id uuid NOT NULL REFERENCES programs,
  operator_id uuid NOT NULL,
  -- Lower case; unique in a program.
  login text NOT NULL CHECK (login = lower(login)),
  display_name text NOT NULL,
  -- loyalty.api.v1.Role value name; pos and partner are for API keys only.
  role text NOT NULL
    CHECK (role IN ('ROLE_ADMIN', 'ROLE_MARKETER', 'ROLE_OPERATOR', 'ROLE_ANALYST')),
  disabled boolean NOT NULL DEFAULT false,
  -- PHC-encoded Argon2id hash (parameters and salt included).
  password_hash text NOT NULL,
  -- Idempotency key of the creating request.
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, operator_id)
);
-- Also the order of ListOperators (keyset on login).
CREATE UNIQUE INDEX operators_login ON operators (program_id, login);
CREATE UNIQUE INDEX operators_request ON operators (program_id, request_id)
  WHERE request_id IS NOT NULL;

-- Failed logins of the last minutes, per login typed (existing or not), for
-- throttling password guessing. Rows older than the window are deleted as
-- new failures come in; a successful login clears its login's rows.
CREATE TABLE login_failures (
  program_id uuid NOT NULL,
  login text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_by_login ON login_failures (program_id, login, failed_at);

-- Idempotency key of the HTTP request that created a key (ApiKeysService).
ALTER TABLE api_keys ADD COLUMN request_id text;
CREATE UNIQUE INDEX api_keys_request ON api_keys (program_id, request_id)
  WHERE request_id IS NOT NULL;

-- ListApiKeys: newest first.
CREATE INDEX api_keys_listing ON api_keys (program_id, created_at DESC, api_key_id DESC);

-- Audit log (CLI-13): who changed what in a program, when, and the changed
-- fields before and after. Each entry is written in the transaction of the
-- change it describes. Append-only: the service has no statement that
-- updates or deletes an entry.
CREATE TABLE audit_log (
  -- Write order; breaks ties between entries of one transaction.
  entry_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  program_id uuid NOT NULL REFERENCES programs,
  -- Start of the change's transaction, like the changed row's updated_at.
  recorded_at timestamptz NOT NULL DEFAULT now(),
  actor_kind text NOT NULL CHECK (actor_kind IN ('operator', 'api_key', 'client', 'system')),
  -- Operator or API key id; empty for the system.
  actor_id text NOT NULL,
  -- loyalty.api.v1.Role value name the actor had; empty for the system.
  actor_role text NOT NULL,
  -- `<object type>.<verb>`, e.g. client.update, tag.assign.
  action text NOT NULL,
  object_type text NOT NULL,
  object_id text NOT NULL,
  -- The client the change concerns, when there is one. No foreign key: the
  -- history outlives the client.
  client_id uuid,
  -- The changed fields as they were and as they became (JSON objects);
  -- NULL for none (a creation has no before). Never secrets.
  before jsonb,
  after jsonb,
  request_id text NOT NULL,
  trace_id text NOT NULL
);
-- A client's history, newest first (ListClientAuditEntries).
CREATE INDEX audit_log_client ON audit_log (program_id, client_id, recorded_at DESC, entry_id DESC)
  WHERE client_id IS NOT NULL;
-- The program's history, newest first, optionally within a time range;
-- action and object type filters are applied along it.
CREATE INDEX audit_log_program ON audit_log (program_id, recorded_at DESC, entry_id DESC);
-- One actor's changes (the actor filter of ListAuditEntries).
CREATE INDEX audit_log_actor ON audit_log (program_id, actor_id, recorded_at DESC, entry_id DESC);

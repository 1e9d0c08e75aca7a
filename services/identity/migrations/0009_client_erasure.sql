-- Erasure of clients on request (CLI-14). An erased client's row stays, its
-- personal columns emptied, so that its id remains an opaque key for the
-- ledger, the consent history and referrals; erased_at marks it and keeps
-- it out of every lookup, list and export.
ALTER TABLE clients
  ADD COLUMN erased_at timestamptz,
  ADD COLUMN erase_reason text,
  -- API key or operator id that erased it.
  ADD COLUMN erased_by text,
  -- Idempotency key of the erasing request.
  ADD COLUMN erase_request_id text;

CREATE UNIQUE INDEX clients_erase_request ON clients (program_id, erase_request_id)
  WHERE erase_request_id IS NOT NULL;

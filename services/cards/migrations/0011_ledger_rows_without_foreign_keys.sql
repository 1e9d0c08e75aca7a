-- Postings, lots and lot consumptions are inserted by one writer only (the
-- ledger batch's single statement, storage/ledger_writes.cc), together with
-- the transfer they belong to and against accounts it holds locked;
-- transfers and postings are append-only (triggers in 0001) and accounts
-- are never deleted. Their foreign keys could therefore only catch a bug in
-- that writer, at the price of one index probe per key per row on the
-- hottest path (five per transfer: about a tenth of the write statement's
-- time). The ledger invariant checker looks for such orphans instead
-- ("ledger rows belong to a stored transfer and account"). The keys of
-- transfers and holds to accounts stay.
ALTER TABLE postings
  DROP CONSTRAINT postings_program_id_transfer_id_fkey,
  DROP CONSTRAINT postings_program_id_account_id_fkey;
ALTER TABLE lots
  DROP CONSTRAINT lots_program_id_account_id_fkey,
  DROP CONSTRAINT lots_program_id_transfer_id_fkey;
ALTER TABLE lot_consumptions
  DROP CONSTRAINT lot_consumptions_lot_id_fkey,
  DROP CONSTRAINT lot_consumptions_program_id_transfer_id_fkey;

-- POS-6: receipts an offline till took and uploaded later carry the time
-- the sale happened (which priced them); online receipts leave it NULL.
ALTER TABLE receipts ADD COLUMN taken_at timestamptz;

-- A receipt under 20 campaigns has a hundred rule lines or more, and the
-- foreign key to receipt_campaigns checked each of them with a locking
-- lookup: as costly as the inserts themselves (tools/bench pos). The rule
-- lines are written only together with their rules, in the transaction
-- that saves a calculation (PosStore::SaveCalculation), and deleted with
-- them on a recalculation, so the key checked nothing that code does not
-- already guarantee. receipt_campaigns keeps its key to receipts.
ALTER TABLE receipt_campaign_lines
  DROP CONSTRAINT receipt_campaign_lines_receipt_id_position_fkey;

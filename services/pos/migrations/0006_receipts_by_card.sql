-- Whether a card already has a confirmed receipt (the campaigns'
-- first-purchase condition), asked when a program's campaigns read member
-- facts: one index probe per calculation instead of a scan of the program.
CREATE INDEX receipts_card_confirmed ON receipts (program_id, card_number)
  WHERE state = 'CONFIRMED';

-- tools/bench pos, after 0009: the foreign keys of a receipt's lines and
-- applied rules to receipts were checked per row with a locking lookup
-- (SELECT ... FOR KEY SHARE), the largest single cost of saving a
-- calculation (a third of the database time), more than the inserts they
-- guarded. Those rows are written only by PosStore::SaveCalculation, in the
-- transaction that inserts or locks their receipt, and replaced there on a
-- recalculation; receipts are never deleted. The keys checked nothing that
-- code does not already guarantee. Refunds, promo codes and budget rows
-- keep theirs: a few rows per receipt at most.
ALTER TABLE receipt_lines DROP CONSTRAINT receipt_lines_receipt_id_fkey;
ALTER TABLE receipt_campaigns DROP CONSTRAINT receipt_campaigns_receipt_id_fkey;

-- A rule's shares of the lines it touched move into its own row, as three
-- parallel arrays in line order: under 20 campaigns a receipt had about
-- five rule lines per rule, each a heap tuple and an index entry, and they
-- are only ever read with their rule.
ALTER TABLE receipt_campaigns
  ADD COLUMN line_numbers integer[] NOT NULL DEFAULT '{}',
  ADD COLUMN line_discounts bigint[] NOT NULL DEFAULT '{}',
  ADD COLUMN line_bonus_points bigint[] NOT NULL DEFAULT '{}';

UPDATE receipt_campaigns c
SET line_numbers = l.numbers, line_discounts = l.discounts, line_bonus_points = l.points
FROM (SELECT receipt_id, position,
             array_agg(line_number ORDER BY line_number) AS numbers,
             array_agg(discount ORDER BY line_number) AS discounts,
             array_agg(bonus_points ORDER BY line_number) AS points
      FROM receipt_campaign_lines GROUP BY receipt_id, position) l
WHERE c.receipt_id = l.receipt_id AND c.position = l.position;

DROP TABLE receipt_campaign_lines;

-- Whether some campaign budget holds a share of the receipt's current
-- calculation: confirm and cancel then settle budgets, and skip that
-- transaction otherwise (most receipts meet no budgeted campaign). Receipts
-- saved before this column existed may hold reservations, so they count as
-- reserved; settling a receipt with none is harmless.
ALTER TABLE receipts ADD COLUMN budget_reserved boolean NOT NULL DEFAULT true;
ALTER TABLE receipts ALTER COLUMN budget_reserved SET DEFAULT false;

-- CRD-9 coalition partners. A transfer may happen at a partner (the owner
-- of the receipt's store): accruals are charged to the partner's own
-- `issued` account and their lots remember the partner that issued the
-- points; redemptions credit the partner's own `redeemed` account. ''
-- stands for the program itself, so existing rows keep their meaning.
ALTER TABLE accounts ADD COLUMN partner_id text NOT NULL DEFAULT '';
DROP INDEX accounts_system_kind;
CREATE UNIQUE INDEX accounts_system_kind ON accounts (program_id, kind, partner_id)
  WHERE kind <> 'member';
ALTER TABLE accounts ADD CONSTRAINT members_have_no_partner
  CHECK (kind <> 'member' OR partner_id = '');

ALTER TABLE transfers ADD COLUMN partner_id text NOT NULL DEFAULT '';
ALTER TABLE lots ADD COLUMN partner_id text NOT NULL DEFAULT '';

-- The settlement report reads a period's redemptions and accrual
-- reversals with the lots they consumed.
CREATE INDEX transfers_time ON transfers (program_id, created_at);

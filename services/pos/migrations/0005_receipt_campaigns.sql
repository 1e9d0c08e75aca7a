-- POS-2: the campaign rules that priced a receipt's current calculation,
-- each with the campaign version, so that a confirmed receipt keeps what
-- priced it (later campaign edits make new versions). Replaced with the
-- lines on every recalculation.
CREATE TABLE receipt_campaigns (
  receipt_id uuid NOT NULL REFERENCES receipts ON DELETE CASCADE,
  position integer NOT NULL,  -- order applied
  campaign_id text NOT NULL,
  campaign_version bigint NOT NULL,
  rule_id text NOT NULL,
  discount bigint NOT NULL,
  bonus_points bigint NOT NULL,
  cashier_message text NOT NULL,
  PRIMARY KEY (receipt_id, position)
);

-- A rule's share of each line it touched.
CREATE TABLE receipt_campaign_lines (
  receipt_id uuid NOT NULL,
  position integer NOT NULL,
  line_number integer NOT NULL,
  discount bigint NOT NULL,
  bonus_points bigint NOT NULL,
  PRIMARY KEY (receipt_id, position, line_number),
  FOREIGN KEY (receipt_id, position) REFERENCES receipt_campaigns ON DELETE CASCADE
);

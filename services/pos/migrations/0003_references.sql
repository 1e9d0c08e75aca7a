-- POS-8: the reference lists stores name (partners, store types, sales
-- channels, cities), one table for the four because they share their shape;
-- the kind-specific columns stay empty on the other kinds.
CREATE TABLE reference_items (
  program_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('partner', 'store_type', 'sales_channel', 'city')),
  -- Caller-chosen code or a generated UUID; for partners the same text
  -- stores.partner_id and cards' partner accounts carry.
  item_id text NOT NULL CHECK (item_id <> ''),
  name text NOT NULL,
  legal_name text NOT NULL DEFAULT '',
  tax_id text NOT NULL DEFAULT '',
  region text NOT NULL DEFAULT '',
  time_zone text NOT NULL DEFAULT '',
  archived boolean NOT NULL DEFAULT false,
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, kind, item_id)
);
CREATE UNIQUE INDEX reference_items_request ON reference_items (program_id, kind, request_id)
  WHERE request_id IS NOT NULL;
CREATE INDEX reference_items_listing ON reference_items (program_id, kind, name, item_id);

-- Partners that stores already name (free text before POS-8) become
-- entries, so every existing store stays valid; the name is the id until
-- someone gives it a better one.
INSERT INTO reference_items (program_id, kind, item_id, name)
SELECT DISTINCT program_id, 'partner', partner_id, partner_id
FROM stores WHERE partner_id <> '';

ALTER TABLE stores
  ADD COLUMN store_type_id text NOT NULL DEFAULT '',
  ADD COLUMN city_id text NOT NULL DEFAULT '',
  ADD COLUMN sales_channel_id text NOT NULL DEFAULT '',
  ADD COLUMN address text NOT NULL DEFAULT '',
  ADD COLUMN time_zone text NOT NULL DEFAULT '',
  ADD COLUMN archived boolean NOT NULL DEFAULT false,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- The database refuses a store that names a missing entry, whatever path
-- the row takes; the API checks first to name the request field and to
-- refuse archived entries. Generated kind columns let the composite keys
-- point at one list each; '' (none) maps to NULL, which a key ignores.
ALTER TABLE stores
  ADD COLUMN partner_kind text GENERATED ALWAYS AS ('partner') STORED,
  ADD COLUMN store_type_kind text GENERATED ALWAYS AS ('store_type') STORED,
  ADD COLUMN city_kind text GENERATED ALWAYS AS ('city') STORED,
  ADD COLUMN sales_channel_kind text GENERATED ALWAYS AS ('sales_channel') STORED,
  ADD COLUMN partner_ref text GENERATED ALWAYS AS (NULLIF(partner_id, '')) STORED,
  ADD COLUMN store_type_ref text GENERATED ALWAYS AS (NULLIF(store_type_id, '')) STORED,
  ADD COLUMN city_ref text GENERATED ALWAYS AS (NULLIF(city_id, '')) STORED,
  ADD COLUMN sales_channel_ref text GENERATED ALWAYS AS (NULLIF(sales_channel_id, '')) STORED,
  ADD FOREIGN KEY (program_id, partner_kind, partner_ref) REFERENCES reference_items,
  ADD FOREIGN KEY (program_id, store_type_kind, store_type_ref) REFERENCES reference_items,
  ADD FOREIGN KEY (program_id, city_kind, city_ref) REFERENCES reference_items,
  ADD FOREIGN KEY (program_id, sales_channel_kind, sales_channel_ref) REFERENCES reference_items;

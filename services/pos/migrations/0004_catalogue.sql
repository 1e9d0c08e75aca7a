-- POS-9: the product catalogue. Categories form a tree per program (a
-- parent in the same program; depth kept on the row so a move can check
-- the depth limit of the subtree it carries); products are keyed by sku.
CREATE TABLE product_categories (
  program_id uuid NOT NULL,
  category_id text NOT NULL CHECK (category_id <> ''),
  name text NOT NULL,
  parent_id text CHECK (parent_id <> category_id),
  depth integer NOT NULL CHECK (depth BETWEEN 1 AND 8),
  archived boolean NOT NULL DEFAULT false,
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, category_id),
  FOREIGN KEY (program_id, parent_id) REFERENCES product_categories
);
CREATE UNIQUE INDEX product_categories_request ON product_categories (program_id, request_id)
  WHERE request_id IS NOT NULL;
CREATE INDEX product_categories_children ON product_categories (program_id, parent_id, category_id);

CREATE TABLE products (
  program_id uuid NOT NULL,
  sku text NOT NULL CHECK (sku <> ''),
  name text NOT NULL,
  category_id text,
  -- Letters, digits, '-' and '.' only (the API checks), so a space-joined
  -- list is unambiguous where arrays of arrays would be needed.
  barcodes text[] NOT NULL DEFAULT '{}',
  unit text NOT NULL CHECK (unit IN ('piece', 'weight')),
  base_price bigint CHECK (base_price >= 0),
  no_discount boolean NOT NULL DEFAULT false,
  no_accrual boolean NOT NULL DEFAULT false,
  no_redemption boolean NOT NULL DEFAULT false,
  archived boolean NOT NULL DEFAULT false,
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, sku),
  FOREIGN KEY (program_id, category_id) REFERENCES product_categories
);
CREATE UNIQUE INDEX products_request ON products (program_id, request_id)
  WHERE request_id IS NOT NULL;
CREATE INDEX products_category ON products (program_id, category_id, sku);
CREATE INDEX products_name_prefix ON products (program_id, lower(name) text_pattern_ops);

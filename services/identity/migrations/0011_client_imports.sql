-- Client imports (CLI-8). The operations tables (0009_1_operations and
-- 0009_2_operation_files, libs/operations) come before this one.

-- Uploaded files, stored in the chunks they arrived in.
CREATE TABLE client_import_files (
  file_id uuid PRIMARY KEY,
  program_id uuid NOT NULL REFERENCES programs,
  request_id text NOT NULL,
  file_name text NOT NULL,
  size_bytes bigint NOT NULL DEFAULT 0,
  -- Set when an import starts from the file: it takes no more chunks, so
  -- what was checked and digested is what gets imported.
  sealed boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (program_id, request_id)
);

CREATE TABLE client_import_file_chunks (
  file_id uuid NOT NULL REFERENCES client_import_files ON DELETE CASCADE,
  start_offset bigint NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (file_id, start_offset)
);

-- One row per import operation; the counts are final once applied_at is set
-- (in the transaction that applied the rows).
CREATE TABLE client_imports (
  operation_id text PRIMARY KEY,
  program_id uuid NOT NULL REFERENCES programs,
  file_id uuid NOT NULL REFERENCES client_import_files,
  file_sha256 text NOT NULL,
  -- SHA-256 of the file's digest and the import options: the same file
  -- imported the same way again finds the first import.
  content_key text NOT NULL,
  total_rows bigint NOT NULL,
  applied_at timestamptz,
  created bigint NOT NULL DEFAULT 0,
  updated bigint NOT NULL DEFAULT 0,
  skipped bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0
);
CREATE INDEX client_imports_content ON client_imports (program_id, content_key);

-- The first problem of each rejected row: the error report. No foreign
-- key: a runner may validate a batch before StartImport records the import.
CREATE TABLE client_import_errors (
  operation_id text NOT NULL,
  line bigint NOT NULL,
  column_name text NOT NULL,
  field text NOT NULL,
  message text NOT NULL,
  PRIMARY KEY (operation_id, line)
);

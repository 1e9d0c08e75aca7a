-- Client tags (CLI-6): labels with a colour that operators put on clients.
CREATE TABLE tags (
  program_id uuid NOT NULL REFERENCES programs,
  tag_id uuid NOT NULL,
  -- Trimmed, 1..64 characters; unique in a program whatever the case.
  name text NOT NULL,
  -- #RRGGBB, upper case.
  colour text NOT NULL CHECK (colour ~ '^#[0-9A-F]{6}$'),
  -- Idempotency key of the creating request.
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (program_id, tag_id)
);
-- Also the order of ListTags (keyset on lower(name)).
CREATE UNIQUE INDEX tags_name ON tags (program_id, lower(name));
CREATE UNIQUE INDEX tags_request ON tags (program_id, request_id) WHERE request_id IS NOT NULL;

-- Which client has which tag. Deleting a tag (or a client) removes its
-- assignments.
CREATE TABLE client_tags (
  program_id uuid NOT NULL,
  tag_id uuid NOT NULL,
  client_id uuid NOT NULL REFERENCES clients ON DELETE CASCADE,
  assigned_at timestamptz NOT NULL DEFAULT now(),
  -- API key or operator id that assigned it.
  assigned_by text NOT NULL DEFAULT '',
  -- Clients of a tag, in client id order (ListTagClients).
  PRIMARY KEY (program_id, tag_id, client_id),
  FOREIGN KEY (program_id, tag_id) REFERENCES tags ON DELETE CASCADE
);
-- Tags of a client (ListClientTags) and the client foreign key's checks.
CREATE INDEX client_tags_by_client ON client_tags (client_id, tag_id);

-- A password change bumps the operator's credentials version; access
-- tokens carry the version they were issued at and are refused once it is
-- older (CLI-15): a changed password ends the sessions of the old one.
ALTER TABLE operators ADD COLUMN credentials_version bigint NOT NULL DEFAULT 0;

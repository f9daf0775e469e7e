-- Contact lists, user photos, and the address-book search index.
-- Standard SQL, as in 0001; "INTEGER PRIMARY KEY" on contact_groups is SQLite's rowid alias, where
-- PostgreSQL would say "BIGINT GENERATED ALWAYS AS IDENTITY". Every table hangs off users with
-- ON DELETE CASCADE (the store turns foreign keys on), so removing a user takes all of it along.

-- A user's contact groups: the built-in "pinned" (Favorites) and "default" (Other Contacts), and
-- her own ("user").
CREATE TABLE contact_groups (
  id          INTEGER PRIMARY KEY,
  owner_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name        TEXT    NOT NULL,
  kind        TEXT    NOT NULL,  -- "pinned" | "default" | "user"
  -- The name with ASCII letters lower-cased: names are unique per owner case-insensitively.
  name_folded TEXT    NOT NULL,
  UNIQUE (owner_id, name_folded)
);

-- One contact ("user@domain", lower-case, no "sip:") in one group of one owner. The contact need
-- not be a user of this server, so it is kept by address, not by a key into users.
CREATE TABLE group_memberships (
  owner_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  contact_uri TEXT   NOT NULL,
  group_id    BIGINT NOT NULL REFERENCES contact_groups (id) ON DELETE CASCADE,
  added_at_ms BIGINT NOT NULL,
  PRIMARY KEY (owner_id, contact_uri, group_id)
);
-- The cascade from a removed group looks memberships up by group.
CREATE INDEX group_memberships_by_group ON group_memberships (group_id);

CREATE TABLE photos (
  user_id       BIGINT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  content_type  TEXT   NOT NULL,  -- "image/jpeg" | "image/png"
  bytes         BLOB   NOT NULL,
  updated_at_ms BIGINT NOT NULL
);

-- Address-book search: every string a user can be found by, folded the way queries are, so a
-- prefix search is one range scan of term_index. Kinds, which also rank a match:
--   0 whole SIP URI or email (an exact match ranks above everything else)
--   1 whole display name   2 one word of the display name   4 a phone number, digits only
-- The store fills this table on every write of a user; the rows of users that existed before
-- this migration are computed by the store right after it runs, in the same transaction.
CREATE TABLE directory_terms (
  user_id BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind    INTEGER NOT NULL,
  term    TEXT    NOT NULL,
  PRIMARY KEY (user_id, kind, term)
);
CREATE INDEX directory_terms_by_term ON directory_terms (term, kind, user_id);

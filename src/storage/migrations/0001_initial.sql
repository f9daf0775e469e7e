-- The first schema: the user directory and the server's own small settings.
-- Kept to standard SQL so that the PostgreSQL store can share it; the one exception is the
-- surrogate key, where SQLite's "INTEGER PRIMARY KEY" (an alias of the rowid, assigned on insert)
-- stands where PostgreSQL would say "BIGINT GENERATED ALWAYS AS IDENTITY".

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  -- "alice@example.org", kept lower-case by the store, so UNIQUE is case-insensitive.
  sip_uri       TEXT    NOT NULL UNIQUE,
  display_name  TEXT    NOT NULL DEFAULT '',
  email         TEXT    NOT NULL DEFAULT '',
  title         TEXT    NOT NULL DEFAULT '',
  department    TEXT    NOT NULL DEFAULT '',
  office        TEXT    NOT NULL DEFAULT '',
  phone_work    TEXT    NOT NULL DEFAULT '',
  phone_mobile  TEXT    NOT NULL DEFAULT '',
  phone_home    TEXT    NOT NULL DEFAULT '',
  phone_other   TEXT    NOT NULL DEFAULT '',
  site          TEXT    NOT NULL DEFAULT '',
  enabled       BOOLEAN NOT NULL DEFAULT TRUE,
  -- libsodium's argon2id string ("$argon2id$v=19$m=...") or '' when no password is set.
  password_hash TEXT    NOT NULL DEFAULT '',
  created_at_ms BIGINT  NOT NULL,
  updated_at_ms BIGINT  NOT NULL
);

CREATE TABLE settings (
  key   TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
);

-- Bearer tokens of the web-ticket service and the sign-in audit trail.
-- Standard SQL, as in 0001; "INTEGER PRIMARY KEY" on signins is again SQLite's rowid alias, where
-- PostgreSQL would say "BIGINT GENERATED ALWAYS AS IDENTITY".

-- Only the SHA-256 of a token is kept: a copy of the database hands out no working credential.
CREATE TABLE tokens (
  token_sha256   TEXT   NOT NULL PRIMARY KEY,  -- 64 lower-case hex digits
  -- Removing a user removes her tokens with her (the store turns foreign keys on).
  user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  issued_at_ms   BIGINT NOT NULL,
  expires_at_ms  BIGINT NOT NULL,
  client_address TEXT   NOT NULL DEFAULT '',
  user_agent     TEXT   NOT NULL DEFAULT '',
  site           TEXT   NOT NULL DEFAULT '',  -- "internal" | "external"
  grant_type     TEXT   NOT NULL DEFAULT ''
);
-- Revoking every token of a user, and the cascade above, look tokens up by user.
CREATE INDEX tokens_by_user ON tokens (user_id);
-- The periodic purge deletes by expiry.
CREATE INDEX tokens_by_expiry ON tokens (expires_at_ms);

-- One row per sign-in attempt. Not tied to users by a foreign key: attempts against unknown or
-- since-removed accounts are exactly what an administrator reads this log for.
CREATE TABLE signins (
  id             INTEGER PRIMARY KEY,
  at_ms          BIGINT  NOT NULL,
  username       TEXT    NOT NULL DEFAULT '',  -- as submitted
  sip_uri        TEXT    NOT NULL DEFAULT '',  -- lower-case; '' when it resolved to no account
  outcome        TEXT    NOT NULL DEFAULT '',
  client_address TEXT    NOT NULL DEFAULT '',
  site           TEXT    NOT NULL DEFAULT '',
  user_agent     TEXT    NOT NULL DEFAULT '',
  grant_type     TEXT    NOT NULL DEFAULT ''
);
-- One account's attempts, newest first.
CREATE INDEX signins_by_sip_uri ON signins (sip_uri, id);

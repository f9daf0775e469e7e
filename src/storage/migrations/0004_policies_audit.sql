-- Named policies, their assignments to sites and users, service configuration, and the
-- administrative audit trail. Standard SQL, as in 0001; the one exception is audit_log's key,
-- where SQLite's "INTEGER PRIMARY KEY AUTOINCREMENT" stands for PostgreSQL's
-- "BIGINT GENERATED ALWAYS AS IDENTITY": ids never go back, even after the oldest rows are trimmed.

-- A named policy of a kind ("mobility"), holding only the settings it sets (a JSON object text).
CREATE TABLE policies (
  kind          TEXT   NOT NULL,
  name          TEXT   NOT NULL,  -- spelled as at creation
  -- The name with ASCII letters lower-cased: names are unique per kind case-insensitively.
  name_folded   TEXT   NOT NULL,
  settings      TEXT   NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  PRIMARY KEY (kind, name_folded)
);

-- The global mobility policy applies to everyone and always exists: the store refuses to remove
-- it, so creating it here is the only place it is ever created.
INSERT INTO policies (kind, name, name_folded, settings, updated_at_ms)
  VALUES ('mobility', 'global', 'global', '{}', 0);

-- Which named policy of a kind applies to a site ("site", site name) or a user ("user", SIP URI
-- lower-case without "sip:"). Not tied to users by a foreign key (a site is no row anywhere);
-- the store deletes a user's assignments when it deletes her. `name` is the policy's spelling.
CREATE TABLE policy_assignments (
  scope TEXT NOT NULL,  -- "site" | "user"
  key   TEXT NOT NULL,
  kind  TEXT NOT NULL,
  name  TEXT NOT NULL,
  PRIMARY KEY (scope, key, kind)
);
-- Removing a policy removes its assignments; listing is by kind.
CREATE INDEX policy_assignments_by_policy ON policy_assignments (kind, name);

-- Service configuration of a kind ("mcx", "push", "webservice") at a scope ("global" or
-- "site:<name>"), as a JSON object text.
CREATE TABLE service_config (
  kind          TEXT   NOT NULL,
  scope         TEXT   NOT NULL,
  settings      TEXT   NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  PRIMARY KEY (kind, scope)
);

-- Who changed what, when, from what to what. Append-only; the store keeps the newest entries.
CREATE TABLE audit_log (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms     BIGINT  NOT NULL,
  actor     TEXT    NOT NULL DEFAULT '',
  action    TEXT    NOT NULL DEFAULT '',
  target    TEXT    NOT NULL DEFAULT '',
  old_value TEXT    NOT NULL DEFAULT '',
  new_value TEXT    NOT NULL DEFAULT ''
);

-- Push notifications: the devices that registered to be woken while their application is in the
-- background. Standard SQL, as in 0001. Owners are addresses ("bob@example.org", lower-case),
-- like conversation log owners; the store deletes a user's registrations when it deletes her.

CREATE TABLE push_registrations (
  id              TEXT    NOT NULL PRIMARY KEY,  -- server-wide, URL-safe, at most 64 bytes
  owner           TEXT    NOT NULL,
  endpoint_id     TEXT    NOT NULL,  -- the UCWA application's endpointId: one per device
  provider        TEXT    NOT NULL,  -- apns | fcm | webpush
  token           TEXT    NOT NULL,  -- device token, registration token or Web Push endpoint
  p256dh          TEXT    NOT NULL DEFAULT '',
  auth            TEXT    NOT NULL DEFAULT '',
  app_id          TEXT    NOT NULL DEFAULT '',
  environment     TEXT    NOT NULL DEFAULT 'production',  -- production | development
  voip            BOOLEAN NOT NULL DEFAULT FALSE,
  locale          TEXT    NOT NULL DEFAULT '',
  device_name     TEXT    NOT NULL DEFAULT '',
  created_at_ms   BIGINT  NOT NULL,
  updated_at_ms   BIGINT  NOT NULL,
  -- Health, written after each delivery attempt; a re-registration starts it afresh.
  last_attempt_ms BIGINT  NOT NULL DEFAULT 0,
  last_success_ms BIGINT  NOT NULL DEFAULT 0,
  last_status     BIGINT  NOT NULL DEFAULT 0,
  last_error      TEXT    NOT NULL DEFAULT '',
  -- The same application on the same device registering again replaces its registration.
  UNIQUE (owner, endpoint_id)
);
-- A user's devices, oldest first, one range scan; also what removing a user deletes by.
CREATE INDEX push_registrations_by_owner ON push_registrations (owner, created_at_ms, id);

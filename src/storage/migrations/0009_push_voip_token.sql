-- An iPhone has two tokens: the regular APNs device token (`token`, alerts: messages, missed
-- calls, the badge) and its PushKit token for incoming calls, kept here. Empty: none. Standard
-- SQL, as in 0001.

ALTER TABLE push_registrations ADD COLUMN voip_token TEXT NOT NULL DEFAULT '';

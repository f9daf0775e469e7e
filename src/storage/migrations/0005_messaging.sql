-- Instant messaging: conversations, who takes part in them, their messages, and each
-- participant's own history entry (conversation log). Standard SQL, as in 0001.
-- Participants and log owners are addresses ("alice@example.org", lower-case), not keys into
-- users: a conversation outlives any one of its participants. The store deletes a user's log
-- entries when it deletes her; the conversation and its messages stay for the others.

CREATE TABLE conversations (
  id            TEXT   NOT NULL PRIMARY KEY,  -- server-wide, URL-safe, at most 64 bytes
  thread_id     TEXT   NOT NULL DEFAULT '',
  subject       TEXT   NOT NULL DEFAULT '',
  importance    TEXT   NOT NULL DEFAULT 'Normal',  -- Normal | Urgent | Emergency
  initiator     TEXT   NOT NULL,
  created_at_ms BIGINT NOT NULL,
  -- The seq the next message gets: appending a batch reserves a run of them with one UPDATE.
  next_seq      BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE conversation_participants (
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  "user"          TEXT NOT NULL,
  PRIMARY KEY (conversation_id, "user")
);

CREATE TABLE messages (
  conversation_id TEXT   NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq             BIGINT NOT NULL,  -- 1, 2, ... per conversation
  sender          TEXT   NOT NULL,
  at_ms           BIGINT NOT NULL,
  format          TEXT   NOT NULL,  -- Plain | Html (already sanitized)
  text            TEXT   NOT NULL,
  plain           TEXT   NOT NULL,
  PRIMARY KEY (conversation_id, seq)
);
-- Retention removes messages by age.
CREATE INDEX messages_by_time ON messages (at_ms);

-- One participant's history entry of one conversation. "deleted" hides it from her history
-- without touching anyone else's; "read" is false while it holds something she has not read.
CREATE TABLE conversation_logs (
  owner           TEXT    NOT NULL,
  conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  direction       TEXT    NOT NULL,  -- Incoming | Outgoing
  status          TEXT    NOT NULL DEFAULT 'Archived',  -- Archived | Missed
  preview         TEXT    NOT NULL DEFAULT '',
  created_at_ms   BIGINT  NOT NULL,
  updated_at_ms   BIGINT  NOT NULL,
  message_count   BIGINT  NOT NULL DEFAULT 0,
  read            BOOLEAN NOT NULL DEFAULT TRUE,
  deleted         BOOLEAN NOT NULL DEFAULT FALSE,
  PRIMARY KEY (owner, conversation_id)
);
-- A user's history, newest first, one range scan per page.
CREATE INDEX conversation_logs_by_owner
  ON conversation_logs (owner, deleted, updated_at_ms DESC, conversation_id DESC);
-- Appending a message updates every participant's entry of its conversation.
CREATE INDEX conversation_logs_by_conversation ON conversation_logs (conversation_id);

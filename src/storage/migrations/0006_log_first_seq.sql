-- A participant added to a running conversation reads it from when she joined, not what was said
-- before: her history entry remembers the first message it covers. Everyone already in a
-- conversation covers it from the start.
ALTER TABLE conversation_logs ADD COLUMN first_seq BIGINT NOT NULL DEFAULT 1;

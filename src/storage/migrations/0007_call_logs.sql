-- Calls in the conversation history: a conversation is a message log, or the log of an audio or
-- a video call with how long it lasted (from answer to hang-up; 0 for a call nobody answered).
ALTER TABLE conversations ADD COLUMN log_type TEXT NOT NULL DEFAULT 'MessageLog';
ALTER TABLE conversations ADD COLUMN duration_ms BIGINT NOT NULL DEFAULT 0;

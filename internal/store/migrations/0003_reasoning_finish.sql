-- Reasoning kept on the message, and how an answer ended.
-- reasoning_chunks numbers message.reasoning events as chunks numbers
-- message.delta; reasoning_started_at (unix ms) is when the first
-- reasoning arrived, reasoning_ms how long the model reasoned in total.
-- The signature closes an Anthropic thinking block (needed to send it
-- back); reasoning_signed says one came, even an empty one.
ALTER TABLE messages ADD COLUMN reasoning TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN reasoning_chunks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN reasoning_started_at INTEGER;
ALTER TABLE messages ADD COLUMN reasoning_ms INTEGER;
ALTER TABLE messages ADD COLUMN reasoning_signature TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN reasoning_signed INTEGER NOT NULL DEFAULT 0;
-- finish_reason: why the model stopped (stop, length, content_filter,
-- tool_calls, …); error_kind: the class of a failure (auth, transient,
-- timeout, truncated, request, upstream, new_turn).
ALTER TABLE messages ADD COLUMN finish_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN error_kind TEXT NOT NULL DEFAULT '';

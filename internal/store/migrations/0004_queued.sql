-- Answers waiting for their turn (one generation at a time per chat) are
-- found at start-up through this small index, without reading every message.
CREATE INDEX messages_queued ON messages(updated_at, id) WHERE status = 'queued';

-- Imported messages are indexed for search after the import, in small
-- batches, instead of inside the import's transactions (the trigram index
-- costs more than the rows themselves). A message waiting for the index
-- has a row here, written in the same transaction as the message; the
-- indexer removes it in the same transaction that indexes the message, so
-- the queue and the index never disagree, whatever stops the process.
--
-- Messages written by chats (and everything else) are indexed by the
-- triggers at once, as before: only bulk loads queue.
CREATE TABLE fts_pending (
    n INTEGER PRIMARY KEY -- messages.n
);

-- The index's content leaves queued messages out, so FTS5's
-- 'integrity-check' and 'rebuild' see exactly the indexed rows.
DROP VIEW message_text;
CREATE VIEW message_text AS SELECT n, content FROM messages m
    WHERE status <> 'streaming' AND NOT EXISTS (SELECT 1 FROM fts_pending p WHERE p.n = m.n);

-- A queued message is not in the index: deleting or changing it touches
-- only the queue (the indexer reads its text when it gets to it).
DROP TRIGGER messages_fts_delete;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content)
        SELECT 'delete', old.n, old.content WHERE old.status <> 'streaming' AND NOT EXISTS (SELECT 1 FROM fts_pending WHERE n = old.n);
    DELETE FROM fts_pending WHERE n = old.n;
END;
DROP TRIGGER messages_fts_update;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status ON messages
WHEN (old.status <> 'streaming' OR new.status <> 'streaming') AND NOT EXISTS (SELECT 1 FROM fts_pending WHERE n = new.n) BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) SELECT 'delete', old.n, old.content WHERE old.status <> 'streaming';
    INSERT INTO messages_fts(rowid, content) SELECT new.n, new.content WHERE new.status <> 'streaming';
END;

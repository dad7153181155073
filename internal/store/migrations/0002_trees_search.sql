-- Conversations become trees; chats get settings, pins, an archive and a
-- title source; titles and message text get an FTS5 index.
--
-- Both tables are rebuilt: the search index refers to rows by an integer
-- key that must never change, and a table without an INTEGER PRIMARY KEY
-- may renumber its rowids on VACUUM. store.migrate runs this with foreign
-- keys off (dropping the old sessions table must not cascade) and checks
-- them before committing.

ALTER TABLE messages RENAME TO messages_v1;
ALTER TABLE sessions RENAME TO sessions_v1;
DROP INDEX messages_by_session;
DROP INDEX messages_by_client_id;
DROP INDEX messages_by_status;

CREATE TABLE sessions (
    n                INTEGER PRIMARY KEY,          -- stable key for sessions_fts
    id               TEXT NOT NULL UNIQUE,
    title            TEXT NOT NULL,
    title_source     TEXT NOT NULL DEFAULT 'auto', -- auto | generated | user
    model            TEXT NOT NULL,
    system_prompt    TEXT NOT NULL DEFAULT '',
    temperature      REAL,                         -- NULL: the provider's default
    top_p            REAL,
    max_tokens       INTEGER,
    pinned           INTEGER NOT NULL DEFAULT 0,
    archived         INTEGER NOT NULL DEFAULT 0,
    current_leaf_id  TEXT,                         -- last message of the path shown; NULL: empty chat
    message_count    INTEGER NOT NULL DEFAULT 0,   -- kept by triggers below
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL
);

-- A message's chain is the n of the first message of the run it belongs
-- to: a child joins its parent's chain when the chain has no message one
-- level deeper yet, else it starts a chain of its own. A chain is a linear
-- run, so a path is a few (chain, depth range) segments and every path
-- operation costs one indexed query per branch on it, not one per message.
-- selected_child_id is set only where the path remembered under a message
-- leaves its chain.
CREATE TABLE messages (
    n                 INTEGER PRIMARY KEY,         -- stable key for messages_fts
    id                TEXT NOT NULL UNIQUE,
    session_id        TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    parent_id         TEXT,                        -- NULL: a first message
    depth             INTEGER NOT NULL,            -- 0 for a first message
    chain             INTEGER NOT NULL,
    selected_child_id TEXT,
    role              TEXT NOT NULL,
    content           TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL,
    error             TEXT NOT NULL DEFAULT '',
    model             TEXT NOT NULL DEFAULT '',
    client_id         TEXT,
    chunks            INTEGER NOT NULL DEFAULT 0,
    input_tokens      INTEGER,
    output_tokens     INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

-- Old rowids are kept as n (insertion order, what search pages by); a
-- linear chat becomes one chain: each message's parent is the one before.
INSERT INTO sessions(n, id, title, title_source, model, system_prompt, current_leaf_id, message_count, created_at, updated_at, last_activity_at)
SELECT s.rowid, s.id, s.title, 'auto', s.model, s.system_prompt,
       (SELECT max(m.id) FROM messages_v1 m WHERE m.session_id = s.id),
       (SELECT count(*) FROM messages_v1 m WHERE m.session_id = s.id),
       s.created_at, s.updated_at, s.updated_at
FROM sessions_v1 s;

INSERT INTO messages(n, id, session_id, parent_id, depth, chain, role, content, status, error, model, client_id, chunks, input_tokens, output_tokens, created_at, updated_at)
SELECT rowid, id, session_id,
       lag(id) OVER w, row_number() OVER w - 1, first_value(rowid) OVER w,
       role, content, status, error, model, client_id, chunks, input_tokens, output_tokens, created_at, updated_at
FROM messages_v1
WINDOW w AS (PARTITION BY session_id ORDER BY id);

DROP TABLE messages_v1;
DROP TABLE sessions_v1;

CREATE INDEX messages_by_session ON messages(session_id, id);
CREATE UNIQUE INDEX messages_by_chain ON messages(chain, depth);
CREATE INDEX messages_by_parent ON messages(parent_id, id) WHERE parent_id IS NOT NULL;
CREATE INDEX messages_roots ON messages(session_id, id) WHERE parent_id IS NULL;
CREATE INDEX messages_departures ON messages(chain, depth) WHERE selected_child_id IS NOT NULL;
CREATE UNIQUE INDEX messages_by_client_id ON messages(session_id, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX messages_by_status ON messages(status) WHERE status = 'streaming';
CREATE INDEX sessions_by_activity ON sessions(archived, pinned, last_activity_at, id);

CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
    UPDATE sessions SET message_count = message_count + 1 WHERE id = new.session_id;
END;
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
    UPDATE sessions SET message_count = message_count - 1 WHERE id = old.session_id;
END;

-- Search. The trigram tokenizer finds any 3+ character piece of text,
-- inside words and in scripts without spaces (Chinese, Japanese).
-- A message is indexed once it stops streaming: re-indexing a growing
-- answer on every token would cost the token path, and crash recovery
-- settles every streaming answer (which indexes it). The view is the
-- index's content, so 'rebuild' and 'integrity-check' see exactly the
-- indexed rows.
CREATE VIEW message_text AS SELECT n, content FROM messages WHERE status <> 'streaming';
CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='message_text', content_rowid='n', tokenize='trigram');
CREATE VIRTUAL TABLE sessions_fts USING fts5(title, content='sessions', content_rowid='n', tokenize='trigram');

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.status <> 'streaming' BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (new.n, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.status <> 'streaming' BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.n, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status ON messages
WHEN old.status <> 'streaming' OR new.status <> 'streaming' BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) SELECT 'delete', old.n, old.content WHERE old.status <> 'streaming';
    INSERT INTO messages_fts(rowid, content) SELECT new.n, new.content WHERE new.status <> 'streaming';
END;

CREATE TRIGGER sessions_fts_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO sessions_fts(rowid, title) VALUES (new.n, new.title);
END;
CREATE TRIGGER sessions_fts_delete AFTER DELETE ON sessions BEGIN
    INSERT INTO sessions_fts(sessions_fts, rowid, title) VALUES ('delete', old.n, old.title);
END;
CREATE TRIGGER sessions_fts_update AFTER UPDATE OF title ON sessions BEGIN
    INSERT INTO sessions_fts(sessions_fts, rowid, title) VALUES ('delete', old.n, old.title);
    INSERT INTO sessions_fts(rowid, title) VALUES (new.n, new.title);
END;

INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
INSERT INTO sessions_fts(sessions_fts) VALUES ('rebuild');

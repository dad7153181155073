-- Sessions, messages and the durable event log.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    model         TEXT NOT NULL,
    system_prompt TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE messages (
    id            TEXT PRIMARY KEY,
    session_id    TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    role          TEXT NOT NULL,
    content       TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    error         TEXT NOT NULL DEFAULT '',
    model         TEXT NOT NULL DEFAULT '',
    client_id     TEXT,
    chunks        INTEGER NOT NULL DEFAULT 0,
    input_tokens  INTEGER,
    output_tokens INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX messages_by_session ON messages(session_id, id);
CREATE UNIQUE INDEX messages_by_client_id ON messages(session_id, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX messages_by_status ON messages(status) WHERE status = 'streaming';

-- seq is never reused (AUTOINCREMENT), even after retention trims a prefix.
-- No secondary index: every index is paid for on each token, and created_at
-- grows with seq, so age lookups binary-search the primary key instead.
CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL DEFAULT '',
    type       TEXT NOT NULL,
    data       BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

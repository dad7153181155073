-- Chats brought in from other apps (and from Holdfast's own exports)
-- remember where they came from, so importing the same file again adds
-- nothing. A chat deleted here forgets its origin with it: importing the
-- file again brings it back, which is what someone re-importing wants.
CREATE TABLE imports (
    source      TEXT NOT NULL,   -- the format: chatgpt, claude, holdfast, ...
    source_id   TEXT NOT NULL,   -- the conversation's id in the source
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    imported_at INTEGER NOT NULL,
    PRIMARY KEY (source, source_id)
) WITHOUT ROWID;
CREATE INDEX imports_by_session ON imports(session_id);

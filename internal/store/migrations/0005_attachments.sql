-- Attachments: files stored once by content hash (the bytes live in the
-- data folder's attachments/ folder, named by id), and the messages that
-- carry them.
--
-- lease_until (unix ms) keeps a file nobody references yet (uploaded, its
-- message not sent) from being swept; a message that takes the file ends
-- the lease. A file with no reference and no lease is deleted.
CREATE TABLE attachments (
    n           INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,          -- SHA-256 of the bytes, hex
    size        INTEGER NOT NULL,
    mime        TEXT NOT NULL,                 -- sniffed from the bytes
    kind        TEXT NOT NULL,                 -- image | pdf | text
    width       INTEGER NOT NULL DEFAULT 0,
    height      INTEGER NOT NULL DEFAULT 0,
    text        TEXT NOT NULL DEFAULT '',      -- text files' content, PDFs' extracted text (for the model and search)
    created_at  INTEGER NOT NULL,
    lease_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attachments_leased ON attachments(lease_until) WHERE lease_until > 0;

-- One row per file on a message, in order. n is a stable integer key, so a
-- search index over name (and the file's text) can refer to rows by it.
-- A file cannot be deleted while a row refers to it (no ON DELETE).
CREATE TABLE message_attachments (
    n             INTEGER PRIMARY KEY,
    message_id    TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    attachment_id TEXT NOT NULL REFERENCES attachments(id),
    name          TEXT NOT NULL,
    UNIQUE (message_id, position)
);
CREATE INDEX message_attachments_by_attachment ON message_attachments(attachment_id);

-- Search over files: each file on a message is indexed by its name and
-- its text (a text file's content, a PDF's extracted text), keyed by its
-- message_attachments row. A file's text never changes (the id is its
-- hash), so rows are indexed when linked and unindexed when unlinked
-- (deleting a message cascades here, and triggers fire on cascades).
CREATE VIEW attachment_text AS
    SELECT ma.n AS n, ma.name AS name, a.text AS text
    FROM message_attachments ma JOIN attachments a ON a.id = ma.attachment_id;
CREATE VIRTUAL TABLE attachments_fts USING fts5(name, text, content='attachment_text', content_rowid='n', tokenize='trigram');
CREATE TRIGGER message_attachments_fts_insert AFTER INSERT ON message_attachments BEGIN
    INSERT INTO attachments_fts(rowid, name, text)
        SELECT new.n, new.name, a.text FROM attachments a WHERE a.id = new.attachment_id;
END;
CREATE TRIGGER message_attachments_fts_delete AFTER DELETE ON message_attachments BEGIN
    INSERT INTO attachments_fts(attachments_fts, rowid, name, text)
        SELECT 'delete', old.n, old.name, a.text FROM attachments a WHERE a.id = old.attachment_id;
END;

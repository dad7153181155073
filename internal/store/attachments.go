package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrUnknownAttachment means a message named an attachment that is not
// stored (never uploaded, or swept since).
var ErrUnknownAttachment = errors.New("unknown attachment")

// Attachment is a file on a message, as messages carry it (events,
// snapshots): the stored file's facts plus the name it was attached under.
type Attachment struct {
	ID     string `json:"id"` // SHA-256 of the bytes, hex
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	MIME   string `json:"mime"`
	Kind   string `json:"kind"` // image | pdf | text
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
}

// AttachmentFile is a stored file, without a name (names belong to the
// messages that carry it).
type AttachmentFile struct {
	ID        string
	Size      int64
	MIME      string
	Kind      string
	Width     int
	Height    int
	Text      string // text files' content, PDFs' extracted text
	CreatedAt time.Time
}

// AttachmentRef is what a message names: a stored file and the name to
// show.
type AttachmentRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

const attachmentCols = `id, size, mime, kind, width, height, text, created_at`

func scanAttachmentFile(r scanner) (AttachmentFile, error) {
	var a AttachmentFile
	var created int64
	err := r.Scan(&a.ID, &a.Size, &a.MIME, &a.Kind, &a.Width, &a.Height, &a.Text, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return AttachmentFile{}, ErrNotFound
	}
	if err != nil {
		return AttachmentFile{}, fmt.Errorf("scan attachment: %w", err)
	}
	a.CreatedAt = time.UnixMilli(created).UTC()
	return a, nil
}

// PutAttachment records a stored file, or renews the lease of one
// recorded before (an upload is idempotent by content).
func (t *Tx) PutAttachment(a AttachmentFile, leaseUntil time.Time) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO attachments(`+attachmentCols+`, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET lease_until = max(lease_until, excluded.lease_until)`,
		a.ID, a.Size, a.MIME, a.Kind, a.Width, a.Height, a.Text, a.CreatedAt.UnixMilli(), leaseUntil.UnixMilli())
	if err != nil {
		return fmt.Errorf("record attachment %s: %w", a.ID, err)
	}
	return nil
}

// LinkAttachments puts refs on message id, in order, and ends their
// upload leases: from now on the message keeps them. It returns the
// attachments as the message carries them. An unknown id is
// ErrUnknownAttachment.
func (t *Tx) LinkAttachments(messageID string, refs []AttachmentRef) ([]Attachment, error) {
	out := make([]Attachment, 0, len(refs))
	for i, r := range refs {
		f, err := scanAttachmentFile(t.tx.QueryRowContext(t.ctx, `SELECT `+attachmentCols+` FROM attachments WHERE id=?`, r.ID))
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%w: %s (%q); upload it again", ErrUnknownAttachment, r.ID, r.Name)
		}
		if err != nil {
			return nil, err
		}
		if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO message_attachments(message_id, position, attachment_id, name) VALUES (?, ?, ?, ?)`,
			messageID, i, r.ID, r.Name); err != nil {
			return nil, fmt.Errorf("attach %s to message %s: %w", r.ID, messageID, err)
		}
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE attachments SET lease_until=0 WHERE id=?`, r.ID); err != nil {
			return nil, fmt.Errorf("end lease of %s: %w", r.ID, err)
		}
		out = append(out, Attachment{ID: f.ID, Name: r.Name, Size: f.Size, MIME: f.MIME, Kind: f.Kind, Width: f.Width, Height: f.Height})
	}
	return out, nil
}

// SessionAttachmentIDs lists the files a session's messages carry.
func (t *Tx) SessionAttachmentIDs(sessionID string) ([]string, error) {
	return t.attachmentIDs(`SELECT DISTINCT ma.attachment_id FROM message_attachments ma JOIN messages m ON m.id = ma.message_id WHERE m.session_id = ?`, sessionID)
}

// SubtreeAttachmentIDs lists the files carried by message id and every
// message below it.
func (t *Tx) SubtreeAttachmentIDs(id string) ([]string, error) {
	return t.attachmentIDs(`WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT m.id FROM messages m JOIN sub ON m.parent_id = sub.id)
		SELECT DISTINCT ma.attachment_id FROM message_attachments ma JOIN sub ON sub.id = ma.message_id`, id)
}

// MessageAttachmentIDs lists the files the messages ids carry.
func (t *Tx) MessageAttachmentIDs(ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q := `SELECT DISTINCT attachment_id FROM message_attachments WHERE message_id IN (` + placeholders(len(ids)) + `)`
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return t.attachmentIDs(q, args...)
}

func (t *Tx) attachmentIDs(q string, args ...any) ([]string, error) {
	rows, err := t.tx.QueryContext(t.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list attachments: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list attachments: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// FreeAttachments deletes the rows of those of ids that no message
// carries and no upload lease holds at now, and returns them: their files
// can go once this transaction commits.
func (t *Tx) FreeAttachments(ids []string, now time.Time) ([]string, error) {
	var freed []string
	for _, id := range ids {
		res, err := t.tx.ExecContext(t.ctx, `DELETE FROM attachments WHERE id = ? AND lease_until < ?
			AND NOT EXISTS (SELECT 1 FROM message_attachments WHERE attachment_id = ?)`, id, now.UnixMilli(), id)
		if err != nil {
			return nil, fmt.Errorf("free attachment %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			freed = append(freed, id)
		}
	}
	return freed, nil
}

// UnusedAttachments lists files no message carries whose lease ended
// before now.
func (s *Store) UnusedAttachments(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT id FROM attachments a WHERE lease_until < ?
		AND NOT EXISTS (SELECT 1 FROM message_attachments WHERE attachment_id = a.id)`, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list unused attachments: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list unused attachments: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// AttachmentKnown reports which of ids have a row.
func (s *Store) AttachmentKnown(ctx context.Context, ids []string) (map[string]bool, error) {
	known := map[string]bool{}
	for _, id := range ids {
		var one int
		err := s.reader.QueryRowContext(ctx, `SELECT 1 FROM attachments WHERE id=?`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("look up attachment %s: %w", id, err)
		}
		known[id] = true
	}
	return known, nil
}

// GetAttachment reads a stored file's facts.
func (s *Store) GetAttachment(ctx context.Context, id string) (AttachmentFile, error) {
	a, err := scanAttachmentFile(s.reader.QueryRowContext(ctx, `SELECT `+attachmentCols+` FROM attachments WHERE id=?`, id))
	if err != nil {
		return AttachmentFile{}, fmt.Errorf("get attachment %s: %w", id, err)
	}
	return a, nil
}

// SessionHasImages reports whether any message of a session carries an
// image.
func (s *Store) SessionHasImages(ctx context.Context, sessionID string) (bool, error) {
	var one int
	err := s.reader.QueryRowContext(ctx, `SELECT 1 FROM message_attachments ma JOIN messages m ON m.id = ma.message_id
		JOIN attachments a ON a.id = ma.attachment_id WHERE m.session_id = ? AND a.kind = 'image' LIMIT 1`, sessionID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look for images in session %s: %w", sessionID, err)
	}
	return true, nil
}

// fillAttachments sets Attachments on those of msgs that carry files, in
// one query per up to 500 messages.
func fillAttachments(ctx context.Context, q queryer, msgs []Message) error {
	for start := 0; start < len(msgs); start += 500 {
		part := msgs[start:min(start+500, len(msgs))]
		byID := make(map[string]int, len(part))
		args := make([]any, 0, len(part))
		for i := range part {
			// Only user messages carry files; answers never do.
			if part[i].Role != RoleUser {
				continue
			}
			byID[part[i].ID] = start + i
			args = append(args, part[i].ID)
		}
		if len(args) == 0 {
			continue
		}
		rows, err := q.QueryContext(ctx, `SELECT ma.message_id, ma.name, a.id, a.size, a.mime, a.kind, a.width, a.height
			FROM message_attachments ma JOIN attachments a ON a.id = ma.attachment_id
			WHERE ma.message_id IN (`+placeholders(len(args))+`) ORDER BY ma.message_id, ma.position`, args...)
		if err != nil {
			return fmt.Errorf("read attachments: %w", err)
		}
		for rows.Next() {
			var mid string
			var a Attachment
			if err := rows.Scan(&mid, &a.Name, &a.ID, &a.Size, &a.MIME, &a.Kind, &a.Width, &a.Height); err != nil {
				rows.Close()
				return fmt.Errorf("read attachments: %w", err)
			}
			if i, ok := byID[mid]; ok {
				msgs[i].Attachments = append(msgs[i].Attachments, a)
			}
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return fmt.Errorf("read attachments: %w", err)
		}
		rows.Close()
	}
	return nil
}

// AttachmentFiles reads the stored facts (text included) of ids.
func (s *Store) AttachmentFiles(ctx context.Context, ids []string) (map[string]AttachmentFile, error) {
	out := make(map[string]AttachmentFile, len(ids))
	for _, id := range ids {
		if _, ok := out[id]; ok {
			continue
		}
		a, err := s.GetAttachment(ctx, id)
		if err != nil {
			return nil, err
		}
		out[id] = a
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

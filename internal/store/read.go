package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// queryer is what both *sql.Tx and *sql.DB offer for reads.
type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

var (
	_ queryer = (*sql.Tx)(nil)
	_ queryer = (*sql.DB)(nil)
)

const sessionCols = `s.id, s.title, s.title_source, s.model, s.system_prompt, s.temperature, s.top_p, s.max_tokens,
	s.pinned, s.archived, coalesce(s.current_leaf_id, ''), s.message_count, s.created_at, s.updated_at, s.last_activity_at`

// messageCols are a message's columns; use messageColsOf for a join.
var messageCols = messageColsOf("")

func messageColsOf(alias string) string {
	a := alias
	if a != "" {
		a += "."
	}
	return a + `n, ` + a + `id, ` + a + `session_id, coalesce(` + a + `parent_id, ''), ` + a + `depth, ` + a + `chain, coalesce(` + a + `selected_child_id, ''), ` +
		a + `role, ` + a + `content, ` + a + `status, ` + a + `error, ` + a + `model, coalesce(` + a + `client_id, ''), ` + a + `chunks, ` +
		a + `input_tokens, ` + a + `output_tokens, ` + a + `created_at, ` + a + `updated_at, ` +
		a + `reasoning, ` + a + `reasoning_chunks, ` + a + `reasoning_started_at, ` + a + `reasoning_ms, ` +
		a + `reasoning_signature, ` + a + `reasoning_signed, ` + a + `finish_reason, ` + a + `error_kind`
}

type scanner interface{ Scan(dest ...any) error }

func scanSession(r scanner) (Session, error) {
	var s Session
	var created, updated, active int64
	var temp, topP sql.NullFloat64
	var maxTok sql.NullInt64
	var leaf string
	err := r.Scan(&s.ID, &s.Title, &s.TitleSource, &s.Model, &s.SystemPrompt, &temp, &topP, &maxTok,
		&s.Pinned, &s.Archived, &leaf, &s.MessageCount, &created, &updated, &active)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("scan session: %w", err)
	}
	if temp.Valid {
		s.Temperature = &temp.Float64
	}
	if topP.Valid {
		s.TopP = &topP.Float64
	}
	if maxTok.Valid {
		n := int(maxTok.Int64)
		s.MaxTokens = &n
	}
	s.CurrentLeafID = Ref(leaf)
	s.CreatedAt, s.UpdatedAt, s.LastActivityAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC(), time.UnixMilli(active).UTC()
	return s, nil
}

func scanMessage(r scanner) (Message, error) {
	var m Message
	var created, updated int64
	var in, out, rStarted, rMS sql.NullInt64
	var parent string
	err := r.Scan(&m.n, &m.ID, &m.SessionID, &parent, &m.Depth, &m.chain, &m.SelectedChildID,
		&m.Role, &m.Content, &m.Status, &m.Error, &m.Model, &m.ClientID, &m.Chunks,
		&in, &out, &created, &updated,
		&m.Reasoning, &m.ReasoningChunks, &rStarted, &rMS, &m.ReasoningSignature, &m.ReasoningSigned,
		&m.FinishReason, &m.ErrorKind)
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, ErrNotFound
	}
	if err != nil {
		return Message{}, fmt.Errorf("scan message: %w", err)
	}
	m.ParentID = Ref(parent)
	if in.Valid || out.Valid {
		m.Usage = &Usage{InputTokens: int(in.Int64), OutputTokens: int(out.Int64)}
	}
	m.CreatedAt, m.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	if rStarted.Valid {
		t := time.UnixMilli(rStarted.Int64).UTC()
		m.ReasoningStartedAt = &t
	}
	if rMS.Valid {
		m.ReasoningMS = &rMS.Int64
	}
	return m, nil
}

func collectMessages(rows *sql.Rows) ([]Message, error) {
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read messages: %w", err)
	}
	return out, nil
}

func getSession(ctx context.Context, q queryer, id string) (Session, error) {
	s, err := scanSession(q.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE s.id=?`, id))
	if err != nil {
		return Session{}, fmt.Errorf("get session %s: %w", id, err)
	}
	return s, nil
}

func getMessage(ctx context.Context, q queryer, id string) (Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages WHERE id=?`, id))
	if err != nil {
		return Message{}, fmt.Errorf("get message %s: %w", id, err)
	}
	one := []Message{m}
	if err := fillAttachments(ctx, q, one); err != nil {
		return Message{}, err
	}
	return one[0], nil
}

// Head reads the newest event seq ever assigned, in the same transaction
// as a snapshot's data. AUTOINCREMENT's counter survives trimming, so this
// never goes backwards.
func head(ctx context.Context, q queryer) (int64, error) {
	var seq int64
	err := q.QueryRowContext(ctx, `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name='events'), 0)`).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("read event head: %w", err)
	}
	return seq, nil
}

// readTx runs fn in one read transaction on the reader pool.
func (s *Store) readTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// GetSession returns one session.
func (s *Store) GetSession(ctx context.Context, id string) (Session, error) {
	return getSession(ctx, s.reader, id)
}

// GetMessage returns one message.
func (s *Store) GetMessage(ctx context.Context, id string) (Message, error) {
	return getMessage(ctx, s.reader, id)
}

// ListSessions returns every session, archived ones included, most
// recent activity first. A non-empty query keeps sessions whose title or
// any message matches it, by the rules of ParseQuery.
func (s *Store) ListSessions(ctx context.Context, query string) ([]Session, error) {
	var out []Session
	q := SessionQuery{Limit: maxSessionPage, Query: query, AllArchived: true}
	for {
		page, err := s.SessionsPage(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Sessions...)
		if page.NextCursor == "" {
			return out, nil
		}
		q.Cursor = page.NextCursor
	}
}

// ListAllMessages returns every message of a session, every branch, in
// creation order (a parent always comes before its children).
func (s *Store) ListAllMessages(ctx context.Context, sessionID string) ([]Message, error) {
	var out []Message
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		if _, err := getSession(ctx, tx, sessionID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE session_id=? ORDER BY id`, sessionID)
		if err != nil {
			return fmt.Errorf("list messages of %s: %w", sessionID, err)
		}
		if out, err = collectMessages(rows); err != nil {
			return err
		}
		return fillAttachments(ctx, tx, out)
	})
	return out, err
}

// StreamingMessages lists messages left in status streaming (after a crash).
func (s *Store) StreamingMessages(ctx context.Context) ([]Message, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE status='streaming' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list streaming messages: %w", err)
	}
	return collectMessages(rows)
}

// QueuedMessages lists answers waiting for their turn, in the order they
// were queued (oldest first).
func (s *Store) QueuedMessages(ctx context.Context) ([]Message, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE status='queued' ORDER BY updated_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list queued messages: %w", err)
	}
	return collectMessages(rows)
}

// EventRow is one stored event.
type EventRow struct {
	Seq       int64
	SessionID string
	Type      string
	Data      []byte
	CreatedAt time.Time
}

// RawEvent is a stored event as ReadEvents hands it over; Data is only
// valid during the callback.
type RawEvent struct {
	Seq       int64
	SessionID string
	Type      string
	Data      []byte
}

// ReadEvents passes up to limit events with seq > after to fn, in order.
//
// Replay speed is bound by per-column calls into the driver, so this reads
// three columns (session id and type joined by SQLite) straight from the
// driver, without database/sql's per-row conversions.
func (s *Store) ReadEvents(ctx context.Context, after int64, limit int, fn func(RawEvent)) error {
	conn, err := s.reader.Conn(ctx)
	if err != nil {
		return fmt.Errorf("read events after %d: %w", after, err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(driver.QueryerContext)
		if !ok {
			return errors.New("sqlite driver cannot query")
		}
		rows, err := c.QueryContext(ctx, `SELECT seq, session_id || char(31) || type, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
			[]driver.NamedValue{{Ordinal: 1, Value: after}, {Ordinal: 2, Value: int64(limit)}})
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, 3)
		for {
			if err := rows.Next(dest); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			seq, ok1 := dest[0].(int64)
			key, ok2 := dest[1].(string)
			data, ok3 := dest[2].([]byte)
			if !ok1 || !ok2 {
				return fmt.Errorf("event row has unexpected types %T %T", dest[0], dest[1])
			}
			if !ok3 { // data stored as TEXT by an older writer
				str, _ := dest[2].(string)
				data = []byte(str)
			}
			sess, typ, _ := strings.Cut(key, "\x1f")
			fn(RawEvent{Seq: seq, SessionID: sess, Type: typ, Data: data})
		}
	})
	if err != nil {
		return fmt.Errorf("read events after %d: %w", after, err)
	}
	return nil
}

// LogBounds is what the event log needs at start-up.
type LogBounds struct {
	Head           int64 // newest seq ever assigned
	TrimmedThrough int64 // events with seq <= this were removed by retention
}

// Bounds reads the head and the retention mark.
func (s *Store) Bounds(ctx context.Context) (LogBounds, error) {
	var b LogBounds
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		if b.Head, err = head(ctx, tx); err != nil {
			return err
		}
		var v string
		if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key='trimmed_through'`).Scan(&v); err != nil {
			return fmt.Errorf("read trim mark: %w", err)
		}
		b.TrimmedThrough, err = strconv.ParseInt(v, 10, 64)
		return err
	})
	return b, err
}

// EventSeqBefore returns the newest seq of events created before t (0 if
// none). created_at never decreases along seq (one writer stamps them in
// order), so a binary search over the primary key finds it without an index.
func (s *Store) EventSeqBefore(ctx context.Context, t time.Time) (int64, error) {
	var lo, hi sql.NullInt64
	if err := s.reader.QueryRowContext(ctx, `SELECT min(seq), max(seq) FROM events`).Scan(&lo, &hi); err != nil {
		return 0, fmt.Errorf("find events before %v: %w", t, err)
	}
	if !lo.Valid {
		return 0, nil
	}
	cutoff := t.UnixMilli()
	found := int64(0)
	l, h := lo.Int64, hi.Int64
	for l <= h {
		mid := l + (h-l)/2
		var seq, at int64
		err := s.reader.QueryRowContext(ctx, `SELECT seq, created_at FROM events WHERE seq >= ? ORDER BY seq LIMIT 1`, mid).Scan(&seq, &at)
		if err != nil {
			return 0, fmt.Errorf("find events before %v: %w", t, err)
		}
		if at < cutoff {
			found = seq
			l = seq + 1
		} else {
			h = mid - 1
		}
	}
	return found, nil
}

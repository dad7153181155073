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

const sessionCols = `s.id, s.title, s.model, s.system_prompt, s.created_at, s.updated_at,
	(SELECT count(*) FROM messages m WHERE m.session_id = s.id)`

const messageCols = `id, session_id, role, content, status, error, model, coalesce(client_id, ''), chunks,
	input_tokens, output_tokens, created_at, updated_at,
	reasoning, reasoning_chunks, reasoning_started_at, reasoning_ms, reasoning_signature, reasoning_signed,
	finish_reason, error_kind`

type scanner interface{ Scan(dest ...any) error }

func scanSession(r scanner) (Session, error) {
	var s Session
	var created, updated int64
	err := r.Scan(&s.ID, &s.Title, &s.Model, &s.SystemPrompt, &created, &updated, &s.MessageCount)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("scan session: %w", err)
	}
	s.CreatedAt, s.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return s, nil
}

func scanMessage(r scanner) (Message, error) {
	var m Message
	var created, updated int64
	var in, out, rStarted, rMS sql.NullInt64
	err := r.Scan(&m.ID, &m.SessionID, &m.Role, &m.Content, &m.Status, &m.Error, &m.Model, &m.ClientID, &m.Chunks,
		&in, &out, &created, &updated,
		&m.Reasoning, &m.ReasoningChunks, &rStarted, &rMS, &m.ReasoningSignature, &m.ReasoningSigned,
		&m.FinishReason, &m.ErrorKind)
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, ErrNotFound
	}
	if err != nil {
		return Message{}, fmt.Errorf("scan message: %w", err)
	}
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
	return m, nil
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

// ListSessions returns sessions, most recently updated first. A non-empty
// query keeps sessions whose title or any message contains it
// (case-insensitive for ASCII).
func (s *Store) ListSessions(ctx context.Context, query string) ([]Session, error) {
	out, _, err := s.SessionsSnapshot(ctx, query)
	return out, err
}

// SessionsSnapshot is ListSessions plus the event head read in the same
// transaction.
func (s *Store) SessionsSnapshot(ctx context.Context, query string) ([]Session, int64, error) {
	var out []Session
	var h int64
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		if h, err = head(ctx, tx); err != nil {
			return err
		}
		q := `SELECT ` + sessionCols + ` FROM sessions s`
		var args []any
		if query = strings.TrimSpace(query); query != "" {
			like := "%" + escapeLike(query) + "%"
			q += ` WHERE s.title LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id AND m.content LIKE ? ESCAPE '\')`
			args = append(args, like, like)
		}
		q += ` ORDER BY s.updated_at DESC, s.id DESC`
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("list sessions: %w", err)
		}
		defer rows.Close()
		out = []Session{}
		for rows.Next() {
			sess, err := scanSession(rows)
			if err != nil {
				return err
			}
			out = append(out, sess)
		}
		return rows.Err()
	})
	return out, h, err
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// MessagePage is one page of a session's messages, oldest first.
type MessagePage struct {
	Messages []Message
	HasMore  bool  // older messages exist before the first one
	Head     int64 // event head read in the same transaction
}

// MessagesSnapshot reads up to limit messages of a session that come before
// the message id `before` (all the newest when before is ""), with the
// event head from the same transaction.
func (s *Store) MessagesSnapshot(ctx context.Context, sessionID, before string, limit int) (MessagePage, error) {
	var page MessagePage
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		if page.Head, err = head(ctx, tx); err != nil {
			return err
		}
		if _, err := getSession(ctx, tx, sessionID); err != nil {
			return err
		}
		q := `SELECT ` + messageCols + ` FROM messages WHERE session_id=?`
		args := []any{sessionID}
		if before != "" {
			q += ` AND id < ?`
			args = append(args, before)
		}
		q += ` ORDER BY id DESC LIMIT ?`
		args = append(args, limit+1)
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("list messages of %s: %w", sessionID, err)
		}
		msgs, err := collectMessages(rows)
		if err != nil {
			return err
		}
		if len(msgs) > limit {
			page.HasMore = true
			msgs = msgs[:limit]
		}
		for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
			msgs[i], msgs[j] = msgs[j], msgs[i]
		}
		page.Messages = msgs
		return nil
	})
	return page, err
}

// ListAllMessages returns every message of a session, oldest first.
func (s *Store) ListAllMessages(ctx context.Context, sessionID string) ([]Message, error) {
	if _, err := s.GetSession(ctx, sessionID); err != nil {
		return nil, err
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE session_id=? ORDER BY id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("list messages of %s: %w", sessionID, err)
	}
	return collectMessages(rows)
}

// StreamingMessages lists messages left in status streaming (after a crash).
func (s *Store) StreamingMessages(ctx context.Context) ([]Message, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE status='streaming' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list streaming messages: %w", err)
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

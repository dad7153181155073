package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Tx is a write transaction. Only the event log opens one (through Write),
// so the rows it changes and the events describing the change commit
// together: a snapshot never disagrees with the log.
type Tx struct {
	tx   *sql.Tx
	ctx  context.Context
	s    *Store
	args []any
}

// Write runs fn in one write transaction and commits it. The event log
// batches many requests into one call (group commit); fn may use
// Savepoint to keep one failing request from spoiling the others.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	sqlTx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	tx := &Tx{tx: sqlTx, ctx: ctx, s: s}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit write: %w", err)
	}
	return nil
}

// Savepoint runs fn so that, if it fails, only its own changes are undone.
func (t *Tx) Savepoint(fn func() error) error {
	if _, err := t.tx.ExecContext(t.ctx, `SAVEPOINT req`); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(); err != nil {
		if _, rbErr := t.tx.ExecContext(t.ctx, `ROLLBACK TO req`); rbErr != nil {
			return errors.Join(err, fmt.Errorf("roll back to savepoint: %w", rbErr))
		}
		_, _ = t.tx.ExecContext(t.ctx, `RELEASE req`)
		return err
	}
	if _, err := t.tx.ExecContext(t.ctx, `RELEASE req`); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// Now is the store's clock.
func (t *Tx) Now() time.Time { return t.s.Now() }

// NewID returns a new creation-ordered id.
func (t *Tx) NewID(prefix string) string { return t.s.NewID(prefix) }

// InsertEvents writes event rows with the seqs the event log assigned
// (it assigns them itself so it knows them without a round trip). Rows go
// in by many per statement: per-statement overhead, not SQLite, is what
// limits a token stream.
func (t *Tx) InsertEvents(rows []EventRow) error {
	for len(rows) > 0 {
		n := min(len(rows), eventsPerInsert)
		var st *sql.Stmt
		if n == eventsPerInsert {
			st = t.tx.StmtContext(t.ctx, t.s.insertMany)
		} else {
			st = t.tx.StmtContext(t.ctx, t.s.insertOne)
			n = 1
		}
		args := t.args[:0]
		for _, r := range rows[:n] {
			args = append(args, r.Seq, r.SessionID, r.Type, r.Data, r.CreatedAt.UnixMilli())
		}
		t.args = args
		if _, err := st.ExecContext(t.ctx, args...); err != nil {
			return fmt.Errorf("insert events from %d: %w", rows[0].Seq, err)
		}
		rows = rows[n:]
	}
	return nil
}

// InsertSession stores a new session.
func (t *Tx) InsertSession(s Session) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO sessions(id, title, model, system_prompt, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		s.ID, s.Title, s.Model, s.SystemPrompt, s.CreatedAt.UnixMilli(), s.UpdatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// UpdateSession writes a session's editable fields.
func (t *Tx) UpdateSession(s Session) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE sessions SET title=?, model=?, system_prompt=?, updated_at=? WHERE id=?`,
		s.Title, s.Model, s.SystemPrompt, s.UpdatedAt.UnixMilli(), s.ID)
	if err != nil {
		return fmt.Errorf("update session %s: %w", s.ID, err)
	}
	return mustAffect(res, "session", s.ID)
}

// TouchSession bumps a session's updated_at.
func (t *Tx) TouchSession(id string, at time.Time) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE sessions SET updated_at=? WHERE id=?`, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("touch session %s: %w", id, err)
	}
	return nil
}

// DeleteSession removes a session and its messages.
func (t *Tx) DeleteSession(id string) error {
	res, err := t.tx.ExecContext(t.ctx, `DELETE FROM sessions WHERE id=?`, id)
	if err != nil {
		return fmt.Errorf("delete session %s: %w", id, err)
	}
	return mustAffect(res, "session", id)
}

// GetSession reads a session inside the transaction.
func (t *Tx) GetSession(id string) (Session, error) {
	return getSession(t.ctx, t.tx, id)
}

// InsertMessage stores a new message.
func (t *Tx) InsertMessage(m Message) error {
	var clientID any
	if m.ClientID != "" {
		clientID = m.ClientID
	}
	in, out := usageCols(m.Usage)
	var rStarted, rMS any
	if m.ReasoningStartedAt != nil {
		rStarted = m.ReasoningStartedAt.UnixMilli()
	}
	if m.ReasoningMS != nil {
		rMS = *m.ReasoningMS
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO messages(id, session_id, role, content, status, error, model, client_id, chunks, input_tokens, output_tokens, created_at, updated_at,
		reasoning, reasoning_chunks, reasoning_started_at, reasoning_ms, reasoning_signature, reasoning_signed, finish_reason, error_kind)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.SessionID, m.Role, m.Content, m.Status, m.Error, m.Model, clientID, m.Chunks, in, out, m.CreatedAt.UnixMilli(), m.UpdatedAt.UnixMilli(),
		m.Reasoning, m.ReasoningChunks, rStarted, rMS, m.ReasoningSignature, m.ReasoningSigned, m.FinishReason, m.ErrorKind)
	if err != nil {
		return fmt.Errorf("insert message: %w", err)
	}
	return nil
}

// AppendContent adds a streamed chunk to a message and records how many
// chunks its content now holds.
func (t *Tx) AppendContent(id, text string, chunks int, at time.Time) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE messages SET content = content || ?, chunks = ?, updated_at = ? WHERE id = ?`,
		text, chunks, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("append to message %s: %w", id, err)
	}
	return mustAffect(res, "message", id)
}

// AppendReasoning adds a streamed reasoning chunk to a message, records
// how many reasoning chunks it now holds, and notes when reasoning began.
func (t *Tx) AppendReasoning(id, text string, chunks int, at time.Time) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE messages SET reasoning = reasoning || ?, reasoning_chunks = ?,
		reasoning_started_at = coalesce(reasoning_started_at, ?), updated_at = ? WHERE id = ?`,
		text, chunks, at.UnixMilli(), at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("append reasoning to message %s: %w", id, err)
	}
	return mustAffect(res, "message", id)
}

// SetReasoningSignature keeps the signature that closed a message's
// thinking block.
func (t *Tx) SetReasoningSignature(id, signature string) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE messages SET reasoning_signature = ?, reasoning_signed = 1 WHERE id = ?`, signature, id)
	if err != nil {
		return fmt.Errorf("set reasoning signature of message %s: %w", id, err)
	}
	return mustAffect(res, "message", id)
}

// AddReasoningTime adds how long one part of an answer reasoned to the
// message's total.
func (t *Tx) AddReasoningTime(id string, d time.Duration) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE messages SET reasoning_ms = coalesce(reasoning_ms, 0) + ? WHERE id = ?`, d.Milliseconds(), id)
	if err != nil {
		return fmt.Errorf("add reasoning time to message %s: %w", id, err)
	}
	return mustAffect(res, "message", id)
}

// AddUsage adds one part's token usage to a message's total: an answer
// continued after an interruption counts every part.
func (t *Tx) AddUsage(id string, u *Usage) error {
	if u == nil {
		return nil
	}
	res, err := t.tx.ExecContext(t.ctx, `UPDATE messages SET input_tokens = coalesce(input_tokens, 0) + ?, output_tokens = coalesce(output_tokens, 0) + ? WHERE id = ?`,
		u.InputTokens, u.OutputTokens, id)
	if err != nil {
		return fmt.Errorf("add usage to message %s: %w", id, err)
	}
	return mustAffect(res, "message", id)
}

// SetOutcome records why an answer ended: the provider's finish reason
// and, for a failure, the error's kind ("" clears them, for a
// continuation).
func (t *Tx) SetOutcome(id, finishReason, errorKind string) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE messages SET finish_reason = ?, error_kind = ? WHERE id = ?`, finishReason, errorKind, id)
	if err != nil {
		return fmt.Errorf("set outcome of message %s: %w", id, err)
	}
	return mustAffect(res, "message", id)
}

// SetStatus finishes (or restarts) a message: status, error and usage.
func (t *Tx) SetStatus(id string, status Status, errText string, usage *Usage, at time.Time) error {
	in, out := usageCols(usage)
	res, err := t.tx.ExecContext(t.ctx, `UPDATE messages SET status=?, error=?, input_tokens=coalesce(?, input_tokens), output_tokens=coalesce(?, output_tokens), updated_at=? WHERE id=?`,
		status, errText, in, out, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("set status of message %s: %w", id, err)
	}
	return mustAffect(res, "message", id)
}

// DeleteMessage removes one message.
func (t *Tx) DeleteMessage(id string) error {
	res, err := t.tx.ExecContext(t.ctx, `DELETE FROM messages WHERE id=?`, id)
	if err != nil {
		return fmt.Errorf("delete message %s: %w", id, err)
	}
	return mustAffect(res, "message", id)
}

// GetMessage reads a message inside the transaction.
func (t *Tx) GetMessage(id string) (Message, error) {
	return getMessage(t.ctx, t.tx, id)
}

// MessageByClientID finds the user message a client already sent.
func (t *Tx) MessageByClientID(sessionID, clientID string) (Message, error) {
	row := t.tx.QueryRowContext(t.ctx, `SELECT `+messageCols+` FROM messages WHERE session_id=? AND client_id=?`, sessionID, clientID)
	return scanMessage(row)
}

// MessagesFrom lists a session's messages from id (inclusive) on, oldest first.
func (t *Tx) MessagesFrom(sessionID, id string) ([]Message, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+messageCols+` FROM messages WHERE session_id=? AND id>=? ORDER BY id`, sessionID, id)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	return collectMessages(rows)
}

// MessageAfter returns the first message after id in its session.
func (t *Tx) MessageAfter(sessionID, id string) (Message, error) {
	row := t.tx.QueryRowContext(t.ctx, `SELECT `+messageCols+` FROM messages WHERE session_id=? AND id>? ORDER BY id LIMIT 1`, sessionID, id)
	return scanMessage(row)
}

// TrimEvents deletes events with seq <= through and records the mark.
func (t *Tx) TrimEvents(through int64) (int64, error) {
	res, err := t.tx.ExecContext(t.ctx, `DELETE FROM events WHERE seq <= ?`, through)
	if err != nil {
		return 0, fmt.Errorf("trim events: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE meta SET value=? WHERE key='trimmed_through'`, fmt.Sprint(through)); err != nil {
		return 0, fmt.Errorf("record trim mark: %w", err)
	}
	return n, nil
}

func usageCols(u *Usage) (any, any) {
	if u == nil {
		return nil, nil
	}
	return u.InputTokens, u.OutputTokens
}

func mustAffect(res sql.Result, kind, id string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s %s: %w", kind, id, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %s: %w", kind, id, ErrNotFound)
	}
	return nil
}

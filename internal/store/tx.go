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
// A storage fault (the lock held elsewhere past the busy timeout, a full
// disk) comes back wrapping ErrBusy or ErrFull, with nothing written.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	sqlTx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", WithFault(err))
	}
	tx := &Tx{tx: sqlTx, ctx: ctx, s: s}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return WithFault(err)
	}
	if err := sqlTx.Commit(); err != nil {
		// SQLite rolls back itself after a failed commit of a full disk;
		// make sure for every other case too.
		_ = sqlTx.Rollback()
		return fmt.Errorf("commit write: %w", WithFault(err))
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

// InsertSession stores a new session. MessageCount and CurrentLeafID
// are the database's to keep and are not written.
func (t *Tx) InsertSession(s Session) error {
	if s.TitleSource == "" {
		s.TitleSource = TitleAuto
	}
	if s.LastActivityAt.IsZero() {
		s.LastActivityAt = s.CreatedAt
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO sessions(id, title, title_source, model, system_prompt, temperature, top_p, max_tokens,
		pinned, archived, created_at, updated_at, last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.Title, s.TitleSource, s.Model, s.SystemPrompt, s.Temperature, s.TopP, s.MaxTokens,
		s.Pinned, s.Archived, s.CreatedAt.UnixMilli(), s.UpdatedAt.UnixMilli(), s.LastActivityAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// UpdateSession writes a session's editable fields: title and its source,
// model, system prompt, settings, pin, archive and updated_at.
func (t *Tx) UpdateSession(s Session) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE sessions SET title=?, title_source=?, model=?, system_prompt=?, temperature=?, top_p=?, max_tokens=?,
		pinned=?, archived=?, updated_at=? WHERE id=?`,
		s.Title, s.TitleSource, s.Model, s.SystemPrompt, s.Temperature, s.TopP, s.MaxTokens, s.Pinned, s.Archived, s.UpdatedAt.UnixMilli(), s.ID)
	if err != nil {
		return fmt.Errorf("update session %s: %w", s.ID, err)
	}
	return mustAffect(res, "session", s.ID)
}

// TouchSession records activity in a session: updated_at and
// last_activity_at (the session list's order).
func (t *Tx) TouchSession(id string, at time.Time) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE sessions SET updated_at=?, last_activity_at=? WHERE id=?`, at.UnixMilli(), at.UnixMilli(), id)
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

// InsertMessage stores a new message under m.ParentID ("" for a first
// message) and returns it as stored (with its depth). It does not move
// the chat's path: call SetPath for that.
func (t *Tx) InsertMessage(m Message) (Message, error) {
	var clientID any
	if m.ClientID != "" {
		clientID = m.ClientID
	}
	var n int64
	if err := t.tx.QueryRowContext(t.ctx, `SELECT coalesce(max(n), 0) + 1 FROM messages`).Scan(&n); err != nil {
		return Message{}, fmt.Errorf("insert message: %w", err)
	}
	m.n, m.chain, m.Depth = n, n, 0
	if m.ParentID != "" {
		p, err := nodeByID(t.ctx, t.tx, string(m.ParentID))
		if err != nil {
			return Message{}, fmt.Errorf("insert message: parent: %w", err)
		}
		if p.session != m.SessionID {
			return Message{}, fmt.Errorf("insert message: parent %s: %w", p.id, ErrWrongSession)
		}
		m.Depth = p.depth + 1
		var taken int
		err = t.tx.QueryRowContext(t.ctx, `SELECT count(*) FROM messages WHERE chain=? AND depth=?`, p.chain, m.Depth).Scan(&taken)
		if err != nil {
			return Message{}, fmt.Errorf("insert message: %w", err)
		}
		if taken == 0 {
			m.chain = p.chain
		}
	}
	in, out := usageCols(m.Usage)
	var rStarted, rMS any
	if m.ReasoningStartedAt != nil {
		rStarted = m.ReasoningStartedAt.UnixMilli()
	}
	if m.ReasoningMS != nil {
		rMS = *m.ReasoningMS
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO messages(n, id, session_id, parent_id, depth, chain, role, content, status, error, model, client_id, chunks, input_tokens, output_tokens, created_at, updated_at,
		reasoning, reasoning_chunks, reasoning_started_at, reasoning_ms, reasoning_signature, reasoning_signed, finish_reason, error_kind)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.n, m.ID, m.SessionID, nullable(string(m.ParentID)), m.Depth, m.chain, m.Role, m.Content, m.Status, m.Error, m.Model, clientID, m.Chunks, in, out,
		m.CreatedAt.UnixMilli(), m.UpdatedAt.UnixMilli(),
		m.Reasoning, m.ReasoningChunks, rStarted, rMS, m.ReasoningSignature, m.ReasoningSigned, m.FinishReason, m.ErrorKind)
	if err != nil {
		return Message{}, fmt.Errorf("insert message: %w", err)
	}
	return m, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
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
// The search index follows in the same statement (a message is indexed
// while it is not streaming).
func (t *Tx) SetStatus(id string, status Status, errText string, usage *Usage, at time.Time) error {
	in, out := usageCols(usage)
	res, err := t.tx.ExecContext(t.ctx, `UPDATE messages SET status=?, error=?, input_tokens=coalesce(?, input_tokens), output_tokens=coalesce(?, output_tokens), updated_at=? WHERE id=?`,
		status, errText, in, out, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("set status of message %s: %w", id, err)
	}
	return mustAffect(res, "message", id)
}

// GetMessage reads a message inside the transaction.
func (t *Tx) GetMessage(id string) (Message, error) {
	return getMessage(t.ctx, t.tx, id)
}

// FillSiblings sets Siblings and SiblingIndex of the messages.
func (t *Tx) FillSiblings(msgs []Message) error {
	return fillSiblings(t.ctx, t.tx, msgs)
}

// MessageByClientID finds the message a client already sent.
func (t *Tx) MessageByClientID(sessionID, clientID string) (Message, error) {
	row := t.tx.QueryRowContext(t.ctx, `SELECT `+messageCols+` FROM messages WHERE session_id=? AND client_id=?`, sessionID, clientID)
	m, err := scanMessage(row)
	if err != nil {
		return Message{}, err
	}
	one := []Message{m}
	if err := fillAttachments(t.ctx, t.tx, one); err != nil {
		return Message{}, err
	}
	return one[0], nil
}

// FirstChild returns the oldest child of a message.
func (t *Tx) FirstChild(id string) (Message, error) {
	row := t.tx.QueryRowContext(t.ctx, `SELECT `+messageCols+` FROM messages WHERE parent_id=? ORDER BY id LIMIT 1`, id)
	return scanMessage(row)
}

// Page reads a page of a path inside the transaction (see PathPage).
func (t *Tx) Page(r PageRequest) (Page, error) {
	return readPage(t.ctx, t.tx, r, 0)
}

// SetPath makes the chat show the path from a first message down to leaf
// (which must be a message of the chat): the current leaf moves there and
// every branching point on the path remembers the branch it takes.
func (t *Tx) SetPath(sessionID, leafID string) error {
	leaf, err := nodeByID(t.ctx, t.tx, leafID)
	if err != nil {
		return err
	}
	if leaf.session != sessionID {
		return fmt.Errorf("set path of %s to %s: %w", sessionID, leafID, ErrWrongSession)
	}
	segs, err := segmentsTo(t.ctx, t.tx, leaf)
	if err != nil {
		return err
	}
	for i, sg := range segs {
		// Inside a segment the path stays on its chain: no departures.
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE messages SET selected_child_id=NULL
			WHERE chain=? AND depth>=? AND depth<? AND selected_child_id IS NOT NULL`, sg.chain, sg.from, sg.to); err != nil {
			return fmt.Errorf("set path: %w", err)
		}
		if i+1 < len(segs) {
			// The segment's last message leaves for the next segment's first.
			next, err := nodeByN(t.ctx, t.tx, segs[i+1].chain)
			if err != nil {
				return fmt.Errorf("set path: %w", err)
			}
			if _, err := t.tx.ExecContext(t.ctx, `UPDATE messages SET selected_child_id=? WHERE id=?`, next.id, next.parent); err != nil {
				return fmt.Errorf("set path: %w", err)
			}
		}
	}
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE sessions SET current_leaf_id=? WHERE id=?`, leafID, sessionID); err != nil {
		return fmt.Errorf("set path: %w", err)
	}
	return nil
}

// SwitchTo makes the chat show a path through message id: its ancestors,
// it, and below it the branch remembered there. It reports whether the
// path changed (not when id was already on it).
func (t *Tx) SwitchTo(sessionID, id string) (bool, error) {
	nd, err := nodeByID(t.ctx, t.tx, id)
	if err != nil {
		return false, err
	}
	if nd.session != sessionID {
		return false, fmt.Errorf("switch %s to %s: %w", sessionID, id, ErrWrongSession)
	}
	sess, err := t.GetSession(sessionID)
	if err != nil {
		return false, err
	}
	on, err := onCurrentPath(t.ctx, t.tx, sess, nd)
	if err != nil || on {
		return false, err
	}
	_, leaf, _, err := descend(t.ctx, t.tx, nd, 0)
	if err != nil {
		return false, err
	}
	return true, t.SetPath(sessionID, leaf.id)
}

// Deleted is what DeleteSubtree removed and where it left the chat.
type Deleted struct {
	Count    int    // messages removed
	ParentID string // the removed message's parent ("" for a first message)
	// PathChanged: the removed messages were on the current path, which
	// now ends at NewLeafID ("" when the chat is empty) and shows
	// ShownFrom first below the unchanged part ("" if nothing new shows).
	PathChanged bool
	NewLeafID   string
	ShownFrom   string
}

// SubtreeStreaming lists the messages at or below id still streaming.
func (t *Tx) SubtreeStreaming(id string) ([]string, error) {
	return subtreeStreaming(t.ctx, t.tx, id)
}

// SubtreeStreaming lists the messages at or below id still streaming.
func (s *Store) SubtreeStreaming(ctx context.Context, id string) ([]string, error) {
	return subtreeStreaming(ctx, s.reader, id)
}

func subtreeStreaming(ctx context.Context, q queryer, id string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT m.id FROM messages m JOIN sub ON m.parent_id = sub.id)
		SELECT m.id FROM sub JOIN messages m ON m.id = sub.id WHERE m.status = 'streaming'`, id)
	if err != nil {
		return nil, fmt.Errorf("find streaming messages under %s: %w", id, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("find streaming messages under %s: %w", id, err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteSubtree removes a message and every message below it. When they
// were on the current path, the path moves to the parent's remaining
// branch (the remembered one, else the newest), or ends at the parent.
func (t *Tx) DeleteSubtree(sessionID, id string) (Deleted, error) {
	nd, err := nodeByID(t.ctx, t.tx, id)
	if err != nil {
		return Deleted{}, err
	}
	if nd.session != sessionID {
		return Deleted{}, fmt.Errorf("delete %s from %s: %w", id, sessionID, ErrWrongSession)
	}
	sess, err := t.GetSession(sessionID)
	if err != nil {
		return Deleted{}, err
	}
	d := Deleted{ParentID: nd.parent}
	if d.PathChanged, err = onCurrentPath(t.ctx, t.tx, sess, nd); err != nil {
		return Deleted{}, err
	}
	res, err := t.tx.ExecContext(t.ctx, `WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT m.id FROM messages m JOIN sub ON m.parent_id = sub.id)
		DELETE FROM messages WHERE id IN (SELECT id FROM sub)`, id)
	if err != nil {
		return Deleted{}, fmt.Errorf("delete message %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	d.Count = int(n)
	if nd.parent != "" {
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE messages SET selected_child_id=NULL WHERE id=? AND selected_child_id=?`, nd.parent, id); err != nil {
			return Deleted{}, fmt.Errorf("delete message %s: %w", id, err)
		}
	}
	if !d.PathChanged {
		return d, nil
	}
	// Where the path goes now: down the parent's remaining branch (as
	// remembered, else the default), or for a first message from the
	// newest other first message.
	var from node
	if nd.parent != "" {
		if from, err = nodeByID(t.ctx, t.tx, nd.parent); err != nil {
			return Deleted{}, err
		}
		below, _, _, err := descend(t.ctx, t.tx, from, 1)
		if err != nil {
			return Deleted{}, err
		}
		if len(below) > 0 {
			d.ShownFrom = below[0].ID
		}
	} else {
		from, err = scanNode(t.tx.QueryRowContext(t.ctx, `SELECT `+nodeCols+` FROM messages WHERE session_id=? AND parent_id IS NULL ORDER BY id DESC LIMIT 1`, sessionID))
		if errors.Is(err, ErrNotFound) {
			_, err = t.tx.ExecContext(t.ctx, `UPDATE sessions SET current_leaf_id=NULL WHERE id=?`, sessionID)
			return d, err
		}
		if err != nil {
			return Deleted{}, err
		}
		d.ShownFrom = from.id
	}
	_, leaf, _, err := descend(t.ctx, t.tx, from, 0)
	if err != nil {
		return Deleted{}, err
	}
	d.NewLeafID = leaf.id
	if d.NewLeafID == "" {
		_, err = t.tx.ExecContext(t.ctx, `UPDATE sessions SET current_leaf_id=NULL WHERE id=?`, sessionID)
		return d, err
	}
	return d, t.SetPath(sessionID, d.NewLeafID)
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

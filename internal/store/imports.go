package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrBadSelection is returned by Bulk.Select for a child that is not an
// answer of the given message.
var ErrBadSelection = errors.New("not an answer of that message")

// Savepoint runs fn so that, if it fails, none of the rows it loaded stay:
// an import loads each conversation under one, so a conversation is
// stored whole or not at all while the others of the load go on.
func (b *Bulk) Savepoint(fn func() error) error {
	if err := b.flush(); err != nil {
		return err
	}
	return b.tx.Savepoint(func() error {
		if err := fn(); err != nil {
			// Rows still waiting were never written; forget them and the
			// nodes that may name rolled-back rows.
			b.pending = b.pending[:0]
			clear(b.recent)
			return err
		}
		return b.flush()
	})
}

// Select makes the chat remember child as the branch shown under parent
// (restoring an exported chat's choices off its current path). Where
// child continues parent's chain it is the default and nothing is kept.
func (b *Bulk) Select(parentID, childID string) error {
	if err := b.flush(); err != nil {
		return err
	}
	p, err := nodeByID(b.tx.ctx, b.tx.tx, parentID)
	if err != nil {
		return fmt.Errorf("select branch: %w", err)
	}
	c, err := nodeByID(b.tx.ctx, b.tx.tx, childID)
	if err != nil {
		return fmt.Errorf("select branch: %w", err)
	}
	if c.parent != p.id {
		return fmt.Errorf("select branch %s under %s: %w", childID, parentID, ErrBadSelection)
	}
	var sel any
	if c.chain != p.chain {
		sel = c.id
	}
	if _, err := b.tx.tx.ExecContext(b.tx.ctx, `UPDATE messages SET selected_child_id=? WHERE id=?`, sel, p.id); err != nil {
		return fmt.Errorf("select branch: %w", err)
	}
	return nil
}

// SetLeaf sets the chat's current leaf without touching the choices kept
// under its messages (Select restores those).
func (b *Bulk) SetLeaf(sessionID, leafID string) error {
	if err := b.flush(); err != nil {
		return err
	}
	res, err := b.tx.tx.ExecContext(b.tx.ctx, `UPDATE sessions SET current_leaf_id=? WHERE id=?`, nullable(leafID), sessionID)
	if err != nil {
		return fmt.Errorf("set leaf: %w", err)
	}
	return mustAffect(res, "session", sessionID)
}

// Imported returns the session a conversation of source was imported as
// ("" when it was not, or its chat has been deleted since).
func (b *Bulk) Imported(source, sourceID string) (string, error) {
	return imported(b.tx.ctx, b.tx.tx, source, sourceID)
}

// RecordImport notes that the conversation sourceID of source is now
// sessionID, so importing it again adds nothing.
func (b *Bulk) RecordImport(source, sourceID, sessionID string, at time.Time) error {
	_, err := b.tx.tx.ExecContext(b.tx.ctx, `INSERT INTO imports(source, source_id, session_id, imported_at) VALUES (?, ?, ?, ?)`,
		source, sourceID, sessionID, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("record import of %s %s: %w", source, sourceID, err)
	}
	return nil
}

// Imported returns the session a conversation of source was imported as
// ("" when it was not, or its chat has been deleted since).
func (s *Store) Imported(ctx context.Context, source, sourceID string) (string, error) {
	return imported(ctx, s.reader, source, sourceID)
}

// Exists reports whether sessionID or any of messageIDs is already stored
// (an import keeping a Holdfast export's ids must not collide).
func (b *Bulk) Exists(sessionID string, messageIDs []string) (bool, error) {
	var one int
	err := b.tx.tx.QueryRowContext(b.tx.ctx, `SELECT 1 FROM sessions WHERE id=?`, sessionID).Scan(&one)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("look up session %s: %w", sessionID, err)
	}
	for len(messageIDs) > 0 {
		batch := messageIDs[:min(len(messageIDs), 500)]
		messageIDs = messageIDs[len(batch):]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		q := `SELECT 1 FROM messages WHERE id IN (?` + repeatArgs(len(batch)-1) + `) LIMIT 1`
		err := b.tx.tx.QueryRowContext(b.tx.ctx, q, args...).Scan(&one)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("look up messages: %w", err)
		}
	}
	return false, nil
}

func repeatArgs(n int) string {
	out := make([]byte, 0, 2*n)
	for range n {
		out = append(out, ",?"...)
	}
	return string(out)
}

func imported(ctx context.Context, q queryer, source, sourceID string) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT session_id FROM imports WHERE source=? AND source_id=?`, source, sourceID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("look up import of %s %s: %w", source, sourceID, err)
	}
	return id, nil
}

// SetLoadedPath makes the chat show the path down to leaf, like SetPath,
// for a chat whose messages were all loaded by this Bulk and carry no
// remembered branch yet: the path is walked in memory, and only where it
// leaves a chain is a row written. Otherwise it falls back to SetPath.
func (b *Bulk) SetLoadedPath(sessionID, leafID string) error {
	type step struct{ parent, child *bulkNode }
	var departures []step
	for id := leafID; id != ""; {
		nd, ok := b.recent[id]
		if !ok || nd.session != sessionID {
			return b.SetPath(sessionID, leafID)
		}
		if nd.parent == "" {
			break
		}
		p, ok := b.recent[nd.parent]
		if !ok {
			return b.SetPath(sessionID, leafID)
		}
		if p.chain != nd.chain {
			departures = append(departures, step{p, nd})
		}
		id = nd.parent
	}
	if err := b.flush(); err != nil {
		return err
	}
	for _, d := range departures {
		if _, err := b.tx.tx.ExecContext(b.tx.ctx, `UPDATE messages SET selected_child_id=? WHERE id=?`, d.child.id, d.parent.id); err != nil {
			return fmt.Errorf("set path: %w", err)
		}
	}
	if _, err := b.tx.tx.ExecContext(b.tx.ctx, `UPDATE sessions SET current_leaf_id=? WHERE id=?`, leafID, sessionID); err != nil {
		return fmt.Errorf("set path: %w", err)
	}
	return nil
}

// LinkAttachments puts refs on message id (see Tx.LinkAttachments): files
// an import stored beforehand, each already recorded with a lease.
func (b *Bulk) LinkAttachments(messageID string, refs []AttachmentRef) ([]Attachment, error) {
	if err := b.flush(); err != nil {
		return nil, err
	}
	return b.tx.LinkAttachments(messageID, refs)
}

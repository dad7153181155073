package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Bulk loads many sessions and messages in one transaction: a seeded
// history for benchmarks, or a large import. It appends no events (a
// caller that needs clients to learn of the rows appends its own).
//
// Row by row, the search index costs far more than the rows themselves
// (FTS5 flushes its pending terms at every statement), so the per-row
// index and message-count triggers are set aside for the load and the new
// rows are indexed (or queued for the indexer, see DeferIndex) and
// counted in one pass before the commit. The
// triggers are put back from their own stored SQL in the same
// transaction: other connections never see them missing.
type Bulk struct {
	tx         *Tx
	first      int64 // n of the first message loaded
	next       int64
	insert     *sql.Stmt // one row
	insertMany *sql.Stmt // bulkRows rows
	pending    []any     // rows not yet written, bulkCols values each
	touched    map[string]bool
	recent     map[string]*bulkNode // parents likely to be asked for next
	queue      bool                 // queue the rows for the indexer (DeferIndex)
}

// Rows go in bulkRows at a time: per-statement overhead, not SQLite,
// bounds a load.
const (
	bulkRows = 64
	bulkCols = 17
)

const bulkInsert = `INSERT INTO messages(n, id, session_id, parent_id, depth, chain, role, content, status, error, model, client_id, chunks, input_tokens, output_tokens, created_at, updated_at) VALUES `

type bulkNode struct {
	node
	chainTaken bool // the chain already goes on below this message
}

// bulkTriggers are set aside during a bulk load.
var bulkTriggers = []string{"messages_fts_insert", "messages_count_insert"}

// Bulk runs fn in one write transaction (see type Bulk).
func (s *Store) Bulk(ctx context.Context, fn func(*Bulk) error) error {
	return s.Write(ctx, func(tx *Tx) error {
		saved := make([]string, 0, len(bulkTriggers))
		for _, name := range bulkTriggers {
			var def string
			if err := tx.tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type='trigger' AND name=?`, name).Scan(&def); err != nil {
				return fmt.Errorf("bulk load: read trigger %s: %w", name, err)
			}
			saved = append(saved, def)
			if _, err := tx.tx.ExecContext(ctx, `DROP TRIGGER `+name); err != nil {
				return fmt.Errorf("bulk load: %w", err)
			}
		}
		b := &Bulk{tx: tx, touched: map[string]bool{}, recent: map[string]*bulkNode{}}
		if err := tx.tx.QueryRowContext(ctx, `SELECT coalesce(max(n), 0) + 1 FROM messages`).Scan(&b.first); err != nil {
			return fmt.Errorf("bulk load: %w", err)
		}
		b.next = b.first
		var err error
		row := "(" + strings.TrimSuffix(strings.Repeat("?, ", bulkCols), ", ") + ")"
		if b.insert, err = tx.tx.PrepareContext(ctx, bulkInsert+row); err != nil {
			return fmt.Errorf("bulk load: %w", err)
		}
		defer b.insert.Close()
		if b.insertMany, err = tx.tx.PrepareContext(ctx, bulkInsert+strings.TrimSuffix(strings.Repeat(row+", ", bulkRows), ", ")); err != nil {
			return fmt.Errorf("bulk load: %w", err)
		}
		defer b.insertMany.Close()
		if err := fn(b); err != nil {
			return err
		}
		if err := b.flush(); err != nil {
			return err
		}
		if b.queue {
			if _, err := tx.tx.ExecContext(ctx, `INSERT INTO fts_pending(n) SELECT n FROM messages WHERE n >= ? AND status <> 'streaming'`, b.first); err != nil {
				return fmt.Errorf("bulk load: queue messages for the search index: %w", err)
			}
		} else if _, err := tx.tx.ExecContext(ctx, `INSERT INTO messages_fts(rowid, content) SELECT n, content FROM message_text WHERE n >= ?`, b.first); err != nil {
			return fmt.Errorf("bulk load: index messages: %w", err)
		}
		ids := make([]any, 0, len(b.touched))
		for id := range b.touched {
			ids = append(ids, id)
		}
		for len(ids) > 0 {
			batch := ids[:min(len(ids), 500)]
			ids = ids[len(batch):]
			_, err := tx.tx.ExecContext(ctx, `UPDATE sessions SET message_count = (SELECT count(*) FROM messages m WHERE m.session_id = sessions.id)
				WHERE id IN (?`+strings.Repeat(",?", len(batch)-1)+`)`, batch...)
			if err != nil {
				return fmt.Errorf("bulk load: count messages: %w", err)
			}
		}
		for _, def := range saved {
			if _, err := tx.tx.ExecContext(ctx, def); err != nil {
				return fmt.Errorf("bulk load: restore trigger: %w", err)
			}
		}
		return nil
	})
}

// DeferIndex queues the messages of this load for the search indexer
// (Store.IndexPending) instead of indexing them before the commit: the
// load commits sooner, and until they are indexed a search finds them by
// reading their text (see SearchMessages).
func (b *Bulk) DeferIndex() { b.queue = true }

// NewID returns a new creation-ordered id.
func (b *Bulk) NewID(prefix string) string { return b.tx.NewID(prefix) }

// InsertSession stores a new session (see Tx.InsertSession).
func (b *Bulk) InsertSession(s Session) error { return b.tx.InsertSession(s) }

// SetPath makes the chat show the path down to leaf (see Tx.SetPath).
func (b *Bulk) SetPath(sessionID, leafID string) error {
	if err := b.flush(); err != nil {
		return err
	}
	return b.tx.SetPath(sessionID, leafID)
}

// flush writes the rows waiting in pending.
func (b *Bulk) flush() error {
	for len(b.pending) > 0 {
		st, n := b.insertMany, bulkRows
		if len(b.pending) < bulkRows*bulkCols {
			st, n = b.insert, 1
		}
		if _, err := st.ExecContext(b.tx.ctx, b.pending[:n*bulkCols]...); err != nil {
			return fmt.Errorf("bulk load: insert messages: %w", err)
		}
		b.pending = b.pending[n*bulkCols:]
	}
	b.pending = b.pending[:0]
	return nil
}

// InsertMessage stores a message under m.ParentID (a message stored
// earlier, in this load or before it) and returns it as stored.
func (b *Bulk) InsertMessage(m Message) (Message, error) {
	m.n, m.chain, m.Depth = b.next, b.next, 0
	if m.ParentID != "" {
		p, err := b.parent(string(m.ParentID))
		if err != nil {
			return Message{}, err
		}
		if p.session != m.SessionID {
			return Message{}, fmt.Errorf("bulk load: parent %s: %w", p.id, ErrWrongSession)
		}
		m.Depth = p.depth + 1
		if !p.chainTaken {
			m.chain = p.chain
			p.chainTaken = true
		}
	}
	var clientID any
	if m.ClientID != "" {
		clientID = m.ClientID
	}
	in, out := usageCols(m.Usage)
	b.pending = append(b.pending, m.n, m.ID, m.SessionID, nullable(string(m.ParentID)), m.Depth, m.chain, m.Role, m.Content, m.Status,
		m.Error, m.Model, clientID, m.Chunks, in, out, m.CreatedAt.UnixMilli(), m.UpdatedAt.UnixMilli())
	if len(b.pending) == bulkRows*bulkCols {
		if err := b.flush(); err != nil {
			return Message{}, err
		}
	}
	b.next++
	b.touched[m.SessionID] = true
	if len(b.recent) >= 1<<16 {
		clear(b.recent)
	}
	b.recent[m.ID] = &bulkNode{node: node{n: m.n, chain: m.chain, id: m.ID, session: m.SessionID, parent: string(m.ParentID), depth: m.Depth}}
	return m, nil
}

func (b *Bulk) parent(id string) (*bulkNode, error) {
	if p, ok := b.recent[id]; ok {
		return p, nil
	}
	if err := b.flush(); err != nil {
		return nil, err
	}
	nd, err := nodeByID(b.tx.ctx, b.tx.tx, id)
	if err != nil {
		return nil, fmt.Errorf("bulk load: parent: %w", err)
	}
	var taken int
	if err := b.tx.tx.QueryRowContext(b.tx.ctx, `SELECT count(*) FROM messages WHERE chain=? AND depth=?`, nd.chain, nd.depth+1).Scan(&taken); err != nil {
		return nil, fmt.Errorf("bulk load: %w", err)
	}
	p := &bulkNode{node: nd, chainTaken: taken > 0}
	b.recent[id] = p
	return p, nil
}

// PathTo is the path from a first message down to id (see Store.PathTo).
func (b *Bulk) PathTo(id string) ([]Message, error) {
	if err := b.flush(); err != nil {
		return nil, err
	}
	nd, err := nodeByID(b.tx.ctx, b.tx.tx, id)
	if err != nil {
		return nil, err
	}
	segs, err := segmentsTo(b.tx.ctx, b.tx.tx, nd)
	if err != nil {
		return nil, err
	}
	return pathRange(b.tx.ctx, b.tx.tx, segs, 0, nd.depth)
}

// NodeAtDepth is the id of the message at depth on the path to id.
func (b *Bulk) NodeAtDepth(id string, depth int) (string, error) {
	if err := b.flush(); err != nil {
		return "", err
	}
	nd, err := nodeByID(b.tx.ctx, b.tx.tx, id)
	if err != nil {
		return "", err
	}
	segs, err := segmentsTo(b.tx.ctx, b.tx.tx, nd)
	if err != nil {
		return "", err
	}
	msgs, err := pathRange(b.tx.ctx, b.tx.tx, segs, depth, depth)
	if err != nil {
		return "", err
	}
	if len(msgs) != 1 {
		return "", fmt.Errorf("no message at depth %d above %s: %w", depth, id, ErrNotFound)
	}
	return msgs[0].ID, nil
}

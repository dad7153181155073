package store

import (
	"context"
	"database/sql"
	"fmt"
)

// IndexPending indexes up to limit messages queued for the search index
// (by a Bulk with DeferIndex), newest first, in one short write
// transaction, and returns how many it took off the queue (0: the queue
// is empty). The queue rows go in the same transaction as the index rows,
// so a crash leaves each message either queued or indexed, never both or
// neither; a message deleted or changed while queued is handled by the
// triggers (migration 0008).
func (s *Store) IndexPending(ctx context.Context, limit int) (int, error) {
	limit = max(limit, 1)
	var done int
	err := s.Write(ctx, func(tx *Tx) error {
		// The batch is the limit newest queued messages: everything
		// queued at or above the smallest of them.
		var lo sql.NullInt64
		var count int
		if err := tx.tx.QueryRowContext(ctx, `SELECT min(n), count(*) FROM (SELECT n FROM fts_pending ORDER BY n DESC LIMIT ?)`, limit).Scan(&lo, &count); err != nil {
			return fmt.Errorf("index queued messages: %w", err)
		}
		if !lo.Valid {
			return nil
		}
		// Rows still streaming are left to the update trigger, which
		// indexes them when they settle (they are never queued by a bulk
		// load, so this is only a guard).
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO messages_fts(rowid, content)
			SELECT m.n, m.content FROM fts_pending p JOIN messages m ON m.n = p.n WHERE p.n >= ? AND m.status <> 'streaming'`, lo.Int64); err != nil {
			return fmt.Errorf("index queued messages: %w", err)
		}
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM fts_pending WHERE n >= ?`, lo.Int64); err != nil {
			return fmt.Errorf("index queued messages: dequeue: %w", err)
		}
		done = count
		return nil
	})
	if err != nil {
		return 0, err
	}
	return done, nil
}

// PendingIndex is how many messages wait for the search index.
func (s *Store) PendingIndex(ctx context.Context) (int, error) {
	var n int
	if err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM fts_pending`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count messages waiting for the search index: %w", err)
	}
	return n, nil
}

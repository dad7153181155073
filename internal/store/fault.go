package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"syscall"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Storage faults: the write did not happen, nothing was half-written, and
// the same write may succeed later. Errors from Write and from Tx methods
// wrap one of these when that is what went wrong (test with errors.Is, or
// ask Fault), so callers above the store can wait a fault out or report
// it without knowing SQLite's error codes.
var (
	// ErrBusy: another connection (in practice another program: a
	// database browser, a backup tool, a sync client) holds the write
	// lock for longer than the busy timeout.
	ErrBusy = errors.New("another program is holding the database")
	// ErrFull: the disk (or the user's quota) has no space left.
	ErrFull = errors.New("the disk is full")
)

// Defaults for Options.
const (
	DefaultBusyTimeout = 5 * time.Second
	// walSizeLimit is what the WAL file is cut back to when a checkpoint
	// has emptied it (PRAGMA journal_size_limit). Without it the file
	// keeps its largest size forever, space a small disk wants back.
	walSizeLimit = 8 << 20
	// walAutoCheckpoint is SQLite's default, set explicitly: the WAL is
	// copied back into the database every this many pages (about 4 MiB).
	walAutoCheckpoint = 1000
)

// Fault returns ErrBusy or ErrFull when err is, or wraps, that storage
// fault, and nil for any other error.
func Fault(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrBusy):
		return ErrBusy
	case errors.Is(err, ErrFull):
		return ErrFull
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch {
		case se.Code == sqlite3.ErrBusy, se.Code == sqlite3.ErrLocked:
			return ErrBusy
		case se.Code == sqlite3.ErrFull, se.SystemErrno == syscall.ENOSPC, se.SystemErrno == syscall.EDQUOT:
			// SQLITE_FULL is what a failed write of the database or the
			// WAL reports; growing the shared-memory index on a full disk
			// reports SQLITE_IOERR with the errno instead.
			return ErrFull
		}
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return ErrFull
	}
	return nil
}

// WithFault returns err wrapped with the storage fault it is (see Fault),
// so errors.Is(err, ErrFull) holds for callers; other errors come back
// as they are.
func WithFault(err error) error {
	f := Fault(err)
	if f == nil || errors.Is(err, f) {
		return err
	}
	return fmt.Errorf("%w: %w", f, err)
}

// Checkpoint copies the WAL into the database file and truncates the WAL
// to nothing, giving its space back to the disk. It reports an error when
// it could not finish (readers still need part of the WAL, the lock is
// held, or the database file cannot grow).
func (s *Store) Checkpoint(ctx context.Context) error {
	var busy, frames, done int
	err := s.writer.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done)
	if err != nil {
		return fmt.Errorf("checkpoint the WAL: %w", WithFault(err))
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint the WAL: %d of %d pages copied, the rest is still in use", done, frames)
	}
	return nil
}

// Probe makes the smallest real write (a timestamp in meta) and commits
// it: whether it succeeds tells if the database can be written again
// after a fault. It fails with the fault while the fault lasts.
func (s *Store) Probe(ctx context.Context) error {
	return s.Write(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('write_probe', ?)
			ON CONFLICT(key) DO UPDATE SET value=excluded.value`, time.Now().UTC().Format(time.RFC3339Nano))
		if err != nil {
			return fmt.Errorf("probe write: %w", WithFault(err))
		}
		return nil
	})
}

// connector opens connections with the settings a DSN cannot carry (the
// WAL's size limit and checkpoint interval), without registering a
// driver globally.
type connector struct {
	drv *sqlite3.SQLiteDriver
	dsn string
}

var _ driver.Connector = connector{}

func newConnector(dsn string, pragmas ...string) connector {
	drv := &sqlite3.SQLiteDriver{}
	if len(pragmas) > 0 {
		drv.ConnectHook = func(c *sqlite3.SQLiteConn) error {
			for _, p := range pragmas {
				if _, err := c.Exec(p, nil); err != nil {
					return fmt.Errorf("%s: %w", p, err)
				}
			}
			return nil
		}
	}
	return connector{drv: drv, dsn: dsn}
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }

func (c connector) Driver() driver.Driver { return c.drv }

// writerPragmas bound the WAL on the writer connection (the one that
// commits, and so checkpoints).
func writerPragmas() []string {
	return []string{
		fmt.Sprintf("PRAGMA journal_size_limit=%d", walSizeLimit),
		fmt.Sprintf("PRAGMA wal_autocheckpoint=%d", walAutoCheckpoint),
	}
}

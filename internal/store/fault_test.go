package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	sqlite3 "github.com/mattn/go-sqlite3"
)

func TestFaultClassifies(t *testing.T) {
	cases := []struct {
		err  error
		want error
	}{
		{nil, nil},
		{errors.New("other"), nil},
		{sqlite3.Error{Code: sqlite3.ErrBusy}, ErrBusy},
		{fmt.Errorf("begin write: %w", sqlite3.Error{Code: sqlite3.ErrLocked}), ErrBusy},
		{fmt.Errorf("commit: %w", sqlite3.Error{Code: sqlite3.ErrFull}), ErrFull},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, SystemErrno: syscall.ENOSPC}, ErrFull},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, SystemErrno: syscall.EIO}, nil},
		{sqlite3.Error{Code: sqlite3.ErrConstraint}, nil},
		{&os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, ErrFull},
		{fmt.Errorf("append event: %w", WithFault(sqlite3.Error{Code: sqlite3.ErrFull})), ErrFull},
	}
	for _, tc := range cases {
		if got := Fault(tc.err); got != tc.want {
			t.Errorf("Fault(%v) = %v; want %v", tc.err, got, tc.want)
		}
		if tc.want != nil && !errors.Is(WithFault(tc.err), tc.want) {
			t.Errorf("WithFault(%v) does not wrap %v", tc.err, tc.want)
		}
	}
}

// The WAL stays bounded: one large transaction grows it past the limit,
// and once a checkpoint has copied it back, the next write cuts the file
// down to the limit instead of it keeping its largest size for good (on a
// small disk, space the user just freed).
func TestWALIsBounded(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	var limit, auto int64
	if err := s.writer.QueryRow(`PRAGMA journal_size_limit`).Scan(&limit); err != nil || limit != walSizeLimit {
		t.Fatalf("journal_size_limit = %d, %v; want %d", limit, err, walSizeLimit)
	}
	if err := s.writer.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != walAutoCheckpoint {
		t.Fatalf("wal_autocheckpoint = %d, %v; want %d", auto, err, walAutoCheckpoint)
	}
	round := 0
	write := func(keys int) {
		round++ // a new value each time: SQLite skips writing an unchanged row
		err := s.Write(ctx, func(tx *Tx) error {
			for i := range keys {
				_, err := tx.tx.Exec(`INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`,
					fmt.Sprint("k", i), strings.Repeat(fmt.Sprint(round), 64<<10))
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	walSize := func() int64 {
		info, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return info.Size()
	}
	write(200) // about 13 MiB in one transaction
	if got := walSize(); got <= walSizeLimit {
		t.Fatalf("WAL is %d bytes after a large transaction; the test needs it past %d", got, walSizeLimit)
	}
	write(1)
	if got := walSize(); got > walSizeLimit {
		t.Fatalf("WAL is %d bytes after it was checkpointed; want it cut back to %d", got, walSizeLimit)
	}
	if err := s.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if got := walSize(); got != 0 {
		t.Fatalf("WAL is %d bytes after a TRUNCATE checkpoint; want 0", got)
	}
}

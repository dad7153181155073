package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "holdfast.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestOpenCreatesAndKeepsEpoch(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	epoch := s.Epoch()
	if len(epoch) != 12 {
		t.Fatalf("epoch %q: want 12 hex chars", epoch)
	}
	s.Close()
	s2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	if s2.Epoch() != epoch {
		t.Fatalf("epoch changed across reopen: %q -> %q", epoch, s2.Epoch())
	}
	var mode string
	if err := s2.writer.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := s2.reader.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v; want 1", fk, err)
	}
}

func TestOpenRefusesUnusableFiles(t *testing.T) {
	ctx := context.Background()
	newer := func(t *testing.T, path string) {
		s, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.writer.Exec(`UPDATE meta SET value='999' WHERE key='schema_version'`); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	cases := []struct {
		name    string
		prepare func(t *testing.T, path string)
		want    string
		is      error
	}{
		{"corrupt", func(t *testing.T, path string) {
			os.WriteFile(path, bytes.Repeat([]byte("not a database "), 300), 0o600)
		}, "not a SQLite database", nil},
		{"corrupt pages", func(t *testing.T, path string) {
			b := append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0xff}, 8192)...)
			os.WriteFile(path, b, 0o600)
		}, "", nil},
		{"read-only", func(t *testing.T, path string) {
			s, err := Open(ctx, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			os.Chmod(path, 0o444)
		}, "read-only", nil},
		{"newer schema", newer, "schema 999", ErrSchemaTooNew},
		{"directory", func(t *testing.T, path string) { os.Mkdir(path, 0o700) }, "not a regular file", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "holdfast.db")
			tc.prepare(t, path)
			before := snapshotFile(t, path)
			s, err := Open(ctx, path, Options{})
			if err == nil {
				s.Close()
				t.Fatal("open succeeded; want an error")
			}
			if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v is not %v", err, tc.is)
			}
			if after := snapshotFile(t, path); !bytes.Equal(before, after) {
				t.Fatal("the refused file was modified")
			}
		})
	}
}

func snapshotFile(t *testing.T, path string) []byte {
	info, err := os.Stat(path)
	if err != nil || info.IsDir() {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMigrationBacksUpExistingFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "holdfast.db")
	// An existing database from before Holdfast had a schema.
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE notes(x TEXT); INSERT INTO notes VALUES ('keep me')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	backups, _ := filepath.Glob(filepath.Join(dir, "holdfast.db.v0-*.bak"))
	if len(backups) != 1 {
		t.Fatalf("backups = %v; want one", backups)
	}
	bdb, err := sql.Open("sqlite3", backups[0])
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var x string
	if err := bdb.QueryRow(`SELECT x FROM notes`).Scan(&x); err != nil || x != "keep me" {
		t.Fatalf("backup content = %q, %v", x, err)
	}
	// A fresh database needs no backup.
	fresh := filepath.Join(dir, "fresh.db")
	s2, err := Open(ctx, fresh, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if b, _ := filepath.Glob(fresh + ".*.bak"); len(b) != 0 {
		t.Fatalf("fresh database was backed up: %v", b)
	}
}

func TestIDsAreOrderedAndUnique(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := base
	g := newIDGen(func() time.Time { return clock })
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 5000; i++ {
		if i%1000 == 999 {
			clock = clock.Add(time.Millisecond)
		}
		if i == 2500 {
			clock = base // the wall clock stepped back: ids must still grow
		}
		id := g.next("m_")
		if len(id) != 28 || seen[id] || id <= prev {
			t.Fatalf("id %d = %q (prev %q): want unique, increasing, 28 chars", i, id, prev)
		}
		seen[id], prev = true, id
	}
}

func TestSnapshotHeadMatchesData(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	now := s.Now()
	sess := Session{ID: s.NewID("s_"), Title: "Hello 100%_done", Model: "demo/demo", CreatedAt: now, UpdatedAt: now}
	var last string
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.InsertSession(sess); err != nil {
			return err
		}
		for i := 0; i < 3; i++ {
			m := Message{ID: s.NewID("m_"), SessionID: sess.ID, ParentID: Ref(last), Role: RoleUser, Content: "needle " + string(rune('a'+i)), Status: StatusComplete, CreatedAt: now, UpdatedAt: now}
			if _, err := tx.InsertMessage(m); err != nil {
				return err
			}
			last = m.ID
			if err := tx.InsertEvents([]EventRow{{Seq: int64(i + 1), SessionID: sess.ID, Type: "message.created", Data: []byte(`{}`), CreatedAt: now}}); err != nil {
				return err
			}
		}
		return tx.SetPath(sess.ID, last)
	})
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.PathPage(ctx, PageRequest{SessionID: sess.ID, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if page.Head != 3 || len(page.Messages) != 2 || !page.HasMore || page.HasNewer || page.Messages[1].Content != "needle c" || !page.Current {
		t.Fatalf("page = %+v", page)
	}
	older, err := s.PathPage(ctx, PageRequest{SessionID: sess.ID, Before: page.Messages[0].ID, Limit: 10})
	if err != nil || len(older.Messages) != 1 || older.HasMore || older.Messages[0].Content != "needle a" {
		t.Fatalf("older page = %+v, %v", older, err)
	}
	for q, want := range map[string]int{"": 1, "needle b": 1, "NEEDLE": 1, "100%": 1, "%_": 1, "absent": 0, "0%x": 0, `"needle c"`: 1, `"needle d"`: 0} {
		got, err := s.ListSessions(ctx, q)
		if err != nil || len(got) != want {
			t.Errorf("ListSessions(%q) = %d sessions, %v; want %d", q, len(got), err, want)
		}
	}
	if got, _ := s.GetSession(ctx, sess.ID); got.MessageCount != 3 || got.CurrentLeafID != Ref(last) {
		t.Fatalf("session = %+v; want 3 messages, leaf %s", got, last)
	}
	if _, err := s.PathPage(ctx, PageRequest{SessionID: "s_missing", Limit: 10}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown session: %v; want ErrNotFound", err)
	}
}

package store

import (
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// copyFile copies testdata into a temporary data folder.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// testdata/v1.db was written by Holdfast with schema 1 (testdata/mkv1.go.txt
// says how): three chats with answers, one with an answer a crash left
// streaming, one whose first message was edited, and an empty one.
func TestMigrateRealVersion1File(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "holdfast.db")
	copyFile(t, filepath.Join("testdata", "v1.db"), path)

	// What the old schema held, read with plain SQL.
	old, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	type oldMsg struct{ id, session, content, status string }
	var oldMsgs []oldMsg
	rows, err := old.Query(`SELECT id, session_id, content, status FROM messages ORDER BY session_id, id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var m oldMsg
		if err := rows.Scan(&m.id, &m.session, &m.content, &m.status); err != nil {
			t.Fatal(err)
		}
		oldMsgs = append(oldMsgs, m)
	}
	rows.Close()
	var oldEpoch string
	var oldEvents int
	old.QueryRow(`SELECT value FROM meta WHERE key='epoch'`).Scan(&oldEpoch)
	old.QueryRow(`SELECT count(*) FROM events`).Scan(&oldEvents)
	old.Close()
	if len(oldMsgs) != 10 || oldEvents == 0 {
		t.Fatalf("testdata/v1.db holds %d messages, %d events; the test expects the committed file", len(oldMsgs), oldEvents)
	}

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("open v1 file: %v", err)
	}
	defer s.Close()

	// Backed up first, as schema 1.
	backups, _ := filepath.Glob(filepath.Join(dir, "holdfast.db.v1-*.bak"))
	if len(backups) != 1 {
		t.Fatalf("backups %v; want one holdfast.db.v1-*.bak", backups)
	}
	bak, err := sql.Open("sqlite3", "file:"+backups[0]+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var bakVersion string
	var bakMsgs int
	bak.QueryRow(`SELECT value FROM meta WHERE key='schema_version'`).Scan(&bakVersion)
	bak.QueryRow(`SELECT count(*) FROM messages`).Scan(&bakMsgs)
	bak.Close()
	if bakVersion != "1" || bakMsgs != len(oldMsgs) {
		t.Fatalf("backup has schema %q and %d messages; want 1 and %d", bakVersion, bakMsgs, len(oldMsgs))
	}

	var version string
	s.reader.QueryRowContext(ctx, `SELECT value FROM meta WHERE key='schema_version'`).Scan(&version)
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	latest := strconv.Itoa(ms[len(ms)-1].version)
	if version != latest || s.Epoch() != oldEpoch {
		t.Fatalf("schema %s epoch %s; want %s (the latest) and the old epoch %s", version, s.Epoch(), latest, oldEpoch)
	}
	if b, err := s.Bounds(ctx); err != nil || b.Head != int64(oldEvents) {
		t.Fatalf("event head %d (%v); want %d: clients resume across the upgrade", b.Head, err, oldEvents)
	}

	// Every linear chat is now one path: each message follows the one
	// before, the leaf is the last, nothing was lost or reordered.
	bySession := map[string][]oldMsg{}
	for _, m := range oldMsgs {
		bySession[m.session] = append(bySession[m.session], m)
	}
	sessions, err := s.ListSessions(ctx, "")
	if err != nil || len(sessions) != 4 {
		t.Fatalf("%d sessions (%v); want 4", len(sessions), err)
	}
	for _, sess := range sessions {
		want := bySession[sess.ID]
		if sess.MessageCount != len(want) || sess.TitleSource != TitleAuto || !sess.LastActivityAt.Equal(sess.UpdatedAt) || sess.Pinned || sess.Archived {
			t.Errorf("session %s = %+v", sess.ID, sess)
		}
		page, err := s.PathPage(ctx, PageRequest{SessionID: sess.ID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Messages) != len(want) {
			t.Fatalf("session %s shows %d messages; want %d", sess.ID, len(page.Messages), len(want))
		}
		if len(want) == 0 {
			if sess.CurrentLeafID != "" {
				t.Errorf("empty chat has leaf %s", sess.CurrentLeafID)
			}
			continue
		}
		if sess.CurrentLeafID != Ref(want[len(want)-1].id) {
			t.Errorf("session %s leaf %s; want %s", sess.ID, sess.CurrentLeafID, want[len(want)-1].id)
		}
		for i, m := range page.Messages {
			parent := Ref("")
			if i > 0 {
				parent = Ref(want[i-1].id)
			}
			if m.ID != want[i].id || m.Content != want[i].content || string(m.Status) != want[i].status ||
				m.ParentID != parent || m.Depth != i || len(m.Siblings) != 1 {
				t.Errorf("message %d of %s = %+v; want %+v after %q", i, sess.ID, m, want[i], parent)
			}
		}
	}

	// The old text is in the search index; the answer left streaming is
	// not yet (it is indexed when recovery settles it).
	search := func(text string) []string {
		q, err := ParseQuery(text)
		if err != nil {
			t.Fatal(err)
		}
		page, err := s.SearchMessages(ctx, SearchRequest{Query: q, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range page.Hits {
			ids = append(ids, h.MessageID)
		}
		return ids
	}
	if got := search("holdfast-migration-marker"); len(got) != 2 {
		t.Errorf("marker found in %v; want the question and its echo", got)
	}
	if got := search("心跳检测"); len(got) != 2 {
		t.Errorf("Chinese text found in %v; want 2 messages", got)
	}
	if got := search("crash rec"); len(got) != 1 {
		t.Errorf("'crash rec' found in %v; want only the settled question", got)
	}
	if titles, err := s.SearchTitles(ctx, mustQuery(t, "renamed"), 10); err != nil || len(titles) != 1 {
		t.Errorf("title search: %v, %v", titles, err)
	}
	if err := s.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
	streaming, err := s.StreamingMessages(ctx)
	if err != nil || len(streaming) != 1 {
		t.Fatalf("streaming after migration: %v, %v", streaming, err)
	}
	err = s.Write(ctx, func(tx *Tx) error {
		return tx.SetStatus(streaming[0].ID, StatusInterrupted, "", nil, tx.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := search("crash rec"); len(got) != 2 {
		t.Errorf("after recovery 'crash rec' found in %v; want 2", got)
	}

	// Opening again neither backs up nor migrates again.
	s.Close()
	s2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if b, _ := filepath.Glob(filepath.Join(dir, "*.bak")); len(b) != 1 {
		t.Fatalf("backups after a second open: %v", b)
	}
}

func mustQuery(t *testing.T, text string) Query {
	t.Helper()
	q, err := ParseQuery(text)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// A build without FTS5 must say so at start-up. This build has it; the
// check itself is what a build without it would run.
func TestFTS5IsCompiledIn(t *testing.T) {
	if err := checkFTS5(context.Background()); err != nil {
		t.Fatalf("%v (run the tests with -tags sqlite_fts5, as make test does)", err)
	}
	if !strings.Contains(ErrNoFTS5.Error(), "-tags sqlite_fts5") {
		t.Fatal("the start-up error does not say how to build with FTS5")
	}
}

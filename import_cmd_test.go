package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/holdfast-chat/holdfast/internal/store"
)

func TestImportCommand(t *testing.T) {
	home := t.TempDir()
	fixture := filepath.Join("internal", "importer", "testdata", "chatgpt", "conversations.json")
	steps := []struct {
		name     string
		args     []string
		code     int
		out, err string
		chats    int
	}{
		{"dry run", []string{"import", "--dry-run", fixture}, 0, "would import 3 of 5 conversations", "", 0},
		{"import", []string{"import", fixture, "--format", "chatgpt", "--model", "demo/demo"}, 0, "imported 3 of 5 conversations", "", 3},
		{"again", []string{"import", fixture}, 0, "imported 0 of 5 conversations (0 messages), 3 already imported, 2 skipped", "", 3},
		{"unknown format", []string{"import", fixture, "--format", "icq"}, 2, "", "unknown import format", 3},
		{"no file", []string{"import"}, 2, "", "give exactly one file", 3},
		{"missing file", []string{"import", filepath.Join(home, "nope.json")}, 1, "", "no such file", 3},
		{"not an export", []string{"import", "go.mod"}, 1, "", "could not tell which app exported this file", 3},
	}
	for _, s := range steps {
		code, stdout, stderr := runMainProcess(t, home, s.args...)
		if code != s.code || !strings.Contains(stdout, s.out) || !strings.Contains(stderr, s.err) {
			t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s\nwant exit %d, %q, %q", s.name, code, stdout, stderr, s.code, s.out, s.err)
		}
		if s.name == "again" && !strings.Contains(stdout, `skipped: conversation #3 ("Corrupted entry") skipped: it has no "mapping"`) {
			t.Errorf("summary lacks the reason for a skip:\n%s", stdout)
		}
		st, err := store.Open(context.Background(), filepath.Join(home, "holdfast.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ss, err := st.ListSessions(context.Background(), "")
		// The command indexes what it imported for search before it exits.
		waiting, perr := st.PendingIndex(context.Background())
		st.Close()
		if err != nil || len(ss) != s.chats {
			t.Fatalf("%s: %d chats (%v), want %d", s.name, len(ss), err, s.chats)
		}
		if perr != nil || waiting != 0 {
			t.Fatalf("%s: %d messages wait for the search index (%v); want none", s.name, waiting, perr)
		}
		if s.name == "import" && !strings.Contains(stderr, "indexing ") {
			t.Errorf("%s: stderr does not say it indexes for search:\n%s", s.name, stderr)
		}
		for _, sess := range ss {
			if sess.Model != "demo/demo" {
				t.Errorf("%s: chat %q continues with %q", s.name, sess.Title, sess.Model)
			}
		}
	}
}

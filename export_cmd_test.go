package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/export"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// TestMain lets a test run the holdfast command in a real child process:
// when HOLDFAST_TEST_MAIN_ARGS holds a JSON list of arguments, this test
// binary behaves as `holdfast ARGS...` instead of running tests.
func TestMain(m *testing.M) {
	if raw := os.Getenv("HOLDFAST_TEST_MAIN_ARGS"); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			fmt.Fprintln(os.Stderr, "HOLDFAST_TEST_MAIN_ARGS:", err)
			os.Exit(3)
		}
		os.Exit(run(args))
	}
	os.Exit(m.Run())
}

// runMainProcess runs `holdfast ARGS...` as a child process with
// HOLDFAST_HOME=home.
func runMainProcess(t *testing.T, home string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "HOLDFAST_TEST_MAIN_ARGS="+string(raw), "HOLDFAST_HOME="+home)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errOut.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errOut.String()
}

// seedHome makes a data folder with two chats, one of them with an
// answer still marked streaming (as if a running app were writing it).
func seedHome(t *testing.T) (home string, chats []export.Chat) {
	t.Helper()
	home = t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(home, "holdfast.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	base := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	err = st.Write(ctx, func(tx *store.Tx) error {
		for i, title := range []string{"First <chat>", "Second"} {
			s := store.Session{ID: tx.NewID("s"), Title: title, Model: "demo/demo",
				CreatedAt: base.Add(time.Duration(i) * time.Hour), UpdatedAt: base.Add(time.Duration(i) * time.Hour)}
			if err := tx.InsertSession(s); err != nil {
				return err
			}
			status := store.StatusComplete
			if i == 1 {
				status = store.StatusStreaming
			}
			parent := ""
			for j, m := range []store.Message{
				{Role: store.RoleUser, Content: "question " + title, Status: store.StatusComplete, ClientID: "c" + title},
				{Role: store.RoleAssistant, Content: "answer\n```go\nx := 1\n```", Status: status, Model: "demo/demo", Chunks: 3},
			} {
				m.ID, m.SessionID, m.ParentID = tx.NewID("m"), s.ID, store.Ref(parent)
				m.CreatedAt = s.CreatedAt.Add(time.Duration(j) * time.Second)
				m.UpdatedAt = m.CreatedAt
				if _, err := tx.InsertMessage(m); err != nil {
					return err
				}
				parent = m.ID
			}
			if err := tx.SetPath(s.ID, parent); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := st.ListSessions(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sessions {
		c, err := export.Load(ctx, st, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		c.AppVersion = appVersion() // what the child process stamps
		chats = append(chats, c)
	}
	return home, chats
}

func runExportProcess(t *testing.T, home string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runMainProcess(t, home, append([]string{"export"}, args...)...)
}

func TestExportCmd(t *testing.T) {
	home, chats := seedHome(t)
	byID := map[string]export.Chat{}
	for _, c := range chats {
		byID[c.Session.ID] = c
	}
	first := chats[1] // ListSessions is newest first
	render := func(f export.Format, c export.Chat) string {
		var b bytes.Buffer
		export.Write(&b, f, c)
		return b.String()
	}
	file := func(name string) string { return filepath.Join(t.TempDir(), name) }

	tests := []struct {
		name     string
		args     func(out string) []string
		out      string // output name in a fresh folder ("" = stdout)
		wantCode int
		wantErr  string
		check    func(t *testing.T, out, stdout string)
	}{
		{
			name: "one chat as JSON",
			out:  "chat.json",
			args: func(out string) []string {
				return []string{"--session", first.Session.ID, "--format", "json", "-o", out}
			},
			check: func(t *testing.T, out, _ string) {
				b, _ := os.ReadFile(out)
				got, err := export.Decode(bytes.NewReader(b))
				if err != nil || got.Session.ID != first.Session.ID || len(got.Messages) != 2 {
					t.Fatalf("decoded %+v, %v", got.Session, err)
				}
			},
		},
		{
			name: "format from the extension",
			out:  "chat.html",
			args: func(out string) []string { return []string{"--session", first.Session.ID, "-o", out} },
			check: func(t *testing.T, out, _ string) {
				if b, _ := os.ReadFile(out); string(b) != render(export.HTML, first) {
					t.Fatal("not the HTML export")
				}
			},
		},
		{
			name: "Markdown to standard output",
			args: func(string) []string { return []string{"--session", first.Session.ID, "--format", "md"} },
			check: func(t *testing.T, _, stdout string) {
				if stdout != render(export.Markdown, first) {
					t.Fatalf("stdout is not the Markdown export:\n%s", stdout)
				}
			},
		},
		{
			name: "all as JSON Lines, streaming answer left as it is",
			out:  "all.jsonl",
			args: func(out string) []string { return []string{"--all", "--format", "jsonl", "-o", out} },
			check: func(t *testing.T, out, _ string) {
				f, _ := os.Open(out)
				defer f.Close()
				n := 0
				err := export.DecodeLines(f, func(c export.Chat) error {
					n++
					want := byID[c.Session.ID]
					if len(c.Messages) != len(want.Messages) || c.Messages[1].Status != want.Messages[1].Status {
						t.Errorf("chat %s changed: %+v", c.Session.ID, c.Messages)
					}
					return nil
				})
				if err != nil || n != 2 {
					t.Fatalf("read %d chats, %v", n, err)
				}
			},
		},
		{
			name: "all as a folder of Markdown",
			out:  "chats",
			args: func(out string) []string { return []string{"--all", "-o", out} },
			check: func(t *testing.T, out, _ string) {
				entries, err := os.ReadDir(out)
				if err != nil || len(entries) != 2 {
					t.Fatalf("folder has %d entries, %v", len(entries), err)
				}
				b, _ := os.ReadFile(filepath.Join(out, "2026-11-22 First _chat_.md"))
				if string(b) != render(export.Markdown, chats[1]) {
					t.Fatalf("First chat file wrong:\n%s", b)
				}
			},
		},
		{name: "unknown session", out: "x.md", wantCode: 1, wantErr: `no chat with id "s_nope"`,
			args: func(out string) []string { return []string{"--session", "s_nope", "-o", out} }},
		{name: "both session and all", wantCode: 2, wantErr: "exactly one of",
			args: func(string) []string { return []string{"--session", "x", "--all", "-o", "y"} }},
		{name: "neither", wantCode: 2, wantErr: "exactly one of",
			args: func(string) []string { return []string{"--format", "md"} }},
		{name: "bad format", wantCode: 2, wantErr: "unknown export format",
			args: func(string) []string { return []string{"--session", "x", "--format", "pdf"} }},
		{name: "all as HTML", wantCode: 2, wantErr: "--all writes jsonl",
			args: func(string) []string { return []string{"--all", "--format", "html", "-o", "x.html"} }},
		{name: "all without -o", wantCode: 2, wantErr: "--all needs -o",
			args: func(string) []string { return []string{"--all"} }},
		{name: "stray argument", wantCode: 2, wantErr: "unexpected argument",
			args: func(string) []string { return []string{"--all", "-o", "x.jsonl", "extra"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := ""
			if tt.out != "" {
				out = file(tt.out)
			}
			code, stdout, stderr := runExportProcess(t, home, tt.args(out)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, stderr)
			}
			if tt.wantErr != "" {
				if !strings.Contains(stderr, tt.wantErr) {
					t.Fatalf("stderr %q does not say %q", stderr, tt.wantErr)
				}
				if out != "" {
					if _, err := os.Stat(out); err == nil {
						t.Fatal("a failed export left a file")
					}
				}
				return
			}
			tt.check(t, out, stdout)
		})
	}

	t.Run("unwritable output", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
		out := filepath.Join(dir, "file", "chat.md")
		code, _, stderr := runExportProcess(t, home, "--session", first.Session.ID, "-o", out)
		if code != 1 || !strings.Contains(stderr, out) || !strings.Contains(stderr, "not a directory") {
			t.Fatalf("exit %d, stderr %q; want 1 and an error naming %s", code, stderr, out)
		}
	})
	t.Run("no database", func(t *testing.T) {
		empty := t.TempDir()
		code, _, stderr := runExportProcess(t, empty, "--all", "-o", file("x.jsonl"))
		if code != 1 || !strings.Contains(stderr, "no Holdfast database in "+empty) {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(empty, "holdfast.db")); err == nil {
			t.Fatal("export created a database")
		}
	})
}

package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/attach"
	"github.com/holdfast-chat/holdfast/internal/attach/attachtest"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// seedFilesHome makes a data folder with one chat whose two branches
// carry a PNG, a PDF and a text file.
func seedFilesHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(home, "holdfast.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	files, err := attach.OpenFiles(filepath.Join(home, "attachments"))
	if err != nil {
		t.Fatal(err)
	}
	svc := attach.NewService(files, attach.StoreLog{Store: st}, st, 0, nil)
	ref := func(name string, data []byte) store.AttachmentRef {
		a, err := svc.Upload(ctx, name, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		return store.AttachmentRef{ID: a.ID, Name: a.Name}
	}
	png, pdf, txt := ref("chart.png", attachtest.PNG(20, 10)), ref("paper.pdf", attachtest.PDF("Page one")), ref("main.go", []byte(attachtest.Source))
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	err = st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertSession(store.Session{ID: "s_cli", Title: "Files", Model: "demo/demo", CreatedAt: at, UpdatedAt: at, LastActivityAt: at}); err != nil {
			return err
		}
		for i, m := range []struct {
			id, parent string
			role       store.Role
			refs       []store.AttachmentRef
		}{
			{"m_c1", "", store.RoleUser, []store.AttachmentRef{png, txt}},
			{"m_c2", "m_c1", store.RoleAssistant, nil},
			{"m_c3", "m_c1", store.RoleAssistant, nil},
			{"m_c4", "m_c3", store.RoleUser, []store.AttachmentRef{pdf}},
		} {
			t := at.Add(time.Duration(i) * time.Second)
			if _, err := tx.InsertMessage(store.Message{ID: m.id, SessionID: "s_cli", ParentID: store.Ref(m.parent), Role: m.role,
				Content: "text " + m.id, Status: store.StatusComplete, CreatedAt: t, UpdatedAt: t}); err != nil {
				return err
			}
			if len(m.refs) > 0 {
				if _, err := tx.LinkAttachments(m.id, m.refs); err != nil {
					return err
				}
			}
		}
		return tx.SetPath("s_cli", "m_c2")
	})
	if err != nil {
		t.Fatal(err)
	}
	return home
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return err
	})
	return out
}

// TestImportCommandFiles: `holdfast export` as JSON (file + folder),
// JSON Lines (file + folder) and zip, each `holdfast import`ed into a
// fresh data folder and exported again, gives the same bytes and files;
// a second import adds nothing.
func TestImportCommandFiles(t *testing.T) {
	home := seedFilesHome(t)
	for _, tt := range []struct {
		name string
		args []string // export arguments before -o
		out  string   // what is exported (and imported)
	}{
		{"JSON", []string{"--session", "s_cli"}, "chat.json"},
		{"JSON Lines", []string{"--all"}, "all.jsonl"},
		{"zip of one chat", []string{"--session", "s_cli"}, "chat.zip"},
		{"zip of all", []string{"--all"}, "all.zip"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, tt.out)
			if code, _, stderr := runMainProcess(t, home, append(append([]string{"export"}, tt.args...), "-o", out)...); code != 0 {
				t.Fatalf("export: %d %s", code, stderr)
			}
			fresh := t.TempDir()
			code, stdout, stderr := runMainProcess(t, fresh, "import", out)
			if code != 0 || !strings.Contains(stdout, "imported 1 of 1 conversations (4 messages); 3 attached files\n") {
				t.Fatalf("import: %d\n%s\n%s", code, stdout, stderr)
			}
			again := t.TempDir()
			if code, _, stderr := runMainProcess(t, fresh, append(append([]string{"export"}, tt.args...), "-o", filepath.Join(again, tt.out))...); code != 0 {
				t.Fatalf("export again: %d %s", code, stderr)
			}
			if strings.HasSuffix(tt.out, ".zip") {
				// Member times differ; what is inside must not.
				for _, d := range []string{dir, again} {
					p := filepath.Join(d, tt.out)
					code, stdout, stderr := runMainProcess(t, t.TempDir(), "import", "--dry-run", p)
					if code != 0 || !strings.Contains(stdout, "would import 1 of 1 conversations (4 messages); 3 attached files\n") {
						t.Fatalf("dry run of %s: %d %s %s", p, code, stdout, stderr)
					}
				}
				entries := func(p string) map[string]string { return zipEntries(t, p) }
				want, got := entries(out), entries(filepath.Join(again, tt.out))
				if len(want) != 4 || len(got) != len(want) {
					t.Fatalf("zip members %d, want 4 like the first export's %d", len(got), len(want))
				}
				for name, data := range want {
					if got[name] != data {
						t.Errorf("zip member %s differs after the round trip", name)
					}
				}
			} else {
				want, got := readTree(t, dir), readTree(t, again)
				if len(want) != 4 || len(got) != len(want) {
					t.Fatalf("files %d, want 4 like the first export's %d", len(got), len(want))
				}
				for name, data := range want {
					if got[name] != data {
						t.Errorf("%s differs after the round trip:\n got %.400s\nwant %.400s", name, got[name], data)
					}
				}
			}
			code, stdout, _ = runMainProcess(t, fresh, "import", out)
			if code != 0 || !strings.Contains(stdout, "imported 0 of 1 conversations (0 messages), 1 already imported\n") {
				t.Fatalf("second import: %d %s", code, stdout)
			}
			stored, _ := filepath.Glob(filepath.Join(fresh, "attachments", "??", "*"))
			if len(stored) != 3 {
				t.Fatalf("the data folder holds %d files, want 3: %v", len(stored), stored)
			}
		})
	}
}

func zipEntries(t *testing.T, p string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(b)
	}
	return out
}

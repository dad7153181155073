package app

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/holdfast-chat/holdfast/internal/attach"
	"github.com/holdfast-chat/holdfast/internal/attach/attachtest"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// pick answers the multi-file dialog with paths and remembers what it was asked.
func pick(ui *fakeUI, paths ...string) {
	ui.mu.Lock()
	defer ui.mu.Unlock()
	ui.OpenFilesFn = func(OpenDialog) ([]string, error) { return paths, nil }
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPickAttachmentsStoresLikeUploads(t *testing.T) {
	c, ui, _ := startCore(t, 2000, false)
	ctx := context.Background()
	dir := t.TempDir()
	png := attachtest.PNG(64, 48)
	paths := []string{
		writeFile(t, dir, "photo.png", png),
		writeFile(t, dir, "photo copy.png", png), // same bytes: stored once
		writeFile(t, dir, "main.go", []byte(attachtest.Source)),
		writeFile(t, dir, "paper.pdf", attachtest.PDF("page one")),
	}
	pick(ui, paths...)
	got, err := c.pickAttachments(ctx, attach.MaxPerMessage)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Errors) != 0 || len(got.Files) != 4 {
		t.Fatalf("picked %+v", got)
	}
	want := []struct{ name, kind, mime string }{
		{"photo.png", "image", "image/png"},
		{"photo copy.png", "image", "image/png"},
		{"main.go", "text", ""},
		{"paper.pdf", "pdf", "application/pdf"},
	}
	for i, w := range want {
		f := got.Files[i]
		if f.Name != w.name || f.Kind != w.kind || (w.mime != "" && f.MIME != w.mime) || !attach.ValidID(f.ID) {
			t.Errorf("file %d = %+v, want %+v", i, f, w)
		}
	}
	if got.Files[0].ID != got.Files[1].ID || got.Files[0].Width != 64 || got.Files[0].Height != 48 {
		t.Errorf("same bytes twice: %+v and %+v", got.Files[0], got.Files[1])
	}
	// Stored for real: the server serves each file, and a message can take them.
	cl := client{t: t, core: c}
	for _, f := range got.Files {
		if code := cl.do("GET", "/api/attachments/"+f.ID, nil, nil); code != http.StatusOK {
			t.Errorf("GET %s: %d", f.Name, code)
		}
	}
	var s store.Session
	cl.do("POST", "/api/sessions", map[string]string{"title": "picked"}, &s)
	refs := []store.AttachmentRef{}
	for _, f := range got.Files {
		refs = append(refs, store.AttachmentRef{ID: f.ID, Name: f.Name})
	}
	var pair struct{ User store.Message }
	if code := cl.do("POST", "/api/sessions/"+s.ID+"/messages",
		map[string]any{"content": "look", "client_id": "c1", "attachments": refs}, &pair); code != http.StatusCreated {
		t.Fatalf("send with picked files: %d", code)
	}
	if len(pair.User.Attachments) != 4 {
		t.Fatalf("message carries %+v", pair.User.Attachments)
	}
	// The user's files are theirs: nothing is moved or removed.
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("picked file gone: %v", err)
		}
	}
}

func TestPickAttachmentsRefusesPerFile(t *testing.T) {
	c, ui, _ := startCore(t, 2000, false)
	ctx := context.Background()
	dir := t.TempDir()
	good := writeFile(t, dir, "notes.md", []byte("# notes\n"))
	cases := []struct {
		name, path, code string
	}{
		{"missing file", filepath.Join(dir, "gone.png"), "unreadable"},
		{"a folder", t.TempDir(), "unsupported_type"},
	}
	if fifo := filepath.Join(dir, "pipe.txt"); mkfifo(fifo) == nil {
		cases = append(cases, struct{ name, path, code string }{"a named pipe (a read would block)", fifo, "unsupported_type"})
	}
	for _, h := range attachtest.HostileFiles() {
		if h.Refused == "" {
			continue
		}
		cases = append(cases, struct{ name, path, code string }{h.Case, writeFile(t, dir, h.Name, h.Data), h.Refused})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Each refused file is named with its reason; the good one
			// picked with it is stored all the same.
			pick(ui, tc.path, good)
			got, err := c.pickAttachments(ctx, attach.MaxPerMessage)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Files) != 1 || got.Files[0].Name != "notes.md" {
				t.Errorf("stored %+v", got.Files)
			}
			if len(got.Errors) != 1 || got.Errors[0].Code != tc.code || got.Errors[0].Name != filepath.Base(tc.path) || got.Errors[0].Message == "" {
				t.Errorf("errors %+v, want one %s for %s", got.Errors, tc.code, filepath.Base(tc.path))
			}
		})
	}
}

func TestPickAttachmentsHostileButInert(t *testing.T) {
	c, ui, _ := startCore(t, 2000, false)
	dir := t.TempDir()
	svg := writeFile(t, dir, "logo.svg", attachtest.HostileFiles()[0].Data)
	// A name with control characters and a right-to-left override (a path
	// cannot hold "/" or NUL, so those are the upload test's).
	odd := writeFile(t, dir, "\x1b[31mauth\u202egpj.txt", []byte("hello\n"))
	pick(ui, svg, odd)
	got, err := c.pickAttachments(context.Background(), attach.MaxPerMessage)
	if err != nil || len(got.Files) != 2 {
		t.Fatalf("picked %+v, %v", got, err)
	}
	if f := got.Files[0]; f.Kind != "text" || strings.Contains(f.MIME, "svg") {
		t.Errorf("an SVG is kept as inert text, got %+v", f)
	}
	if n := got.Files[1].Name; n != "[31mauthgpj.txt" {
		t.Errorf("name %q still holds control characters", n)
	}
}

func TestPickAttachmentsCancelAndLimits(t *testing.T) {
	c, ui, _ := startCore(t, 2000, false)
	ctx := context.Background()
	dir := t.TempDir()

	// Cancel: nothing stored, nothing refused, no error.
	got, err := c.pickAttachments(ctx, attach.MaxPerMessage)
	if err != nil || len(got.Files) != 0 || len(got.Errors) != 0 || got.Files == nil || got.Errors == nil {
		t.Fatalf("cancelled: %+v, %v", got, err)
	}
	if d := ui.opens[0]; d.Dir != "" || len(d.Filters) == 0 {
		t.Errorf("first dialog %+v", d)
	}

	// More than the message takes: none stored.
	var paths []string
	for _, n := range []string{"a.txt", "b.txt", "c.txt"} {
		paths = append(paths, writeFile(t, dir, n, []byte(n)))
	}
	pick(ui, paths...)
	got, err = c.pickAttachments(ctx, 2)
	if err != nil || len(got.Files) != 0 || len(got.Errors) != 1 || got.Errors[0].Code != "too_many_attachments" {
		t.Fatalf("3 files into room for 2: %+v, %v", got, err)
	}
	if ids, _ := c.be.Files().IDs(); len(ids) != 0 {
		t.Errorf("files stored anyway: %v", ids)
	}

	// The next dialog opens in the folder the last files came from.
	pick(ui)
	if _, err := c.pickAttachments(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if d := ui.opens[len(ui.opens)-1]; d.Dir != dir {
		t.Errorf("dialog opened in %q, want %q", d.Dir, dir)
	}

	// A dialog that fails is an error, not a silent nothing.
	ui.mu.Lock()
	ui.OpenFilesFn = func(OpenDialog) ([]string, error) { return nil, errDialogBroken }
	ui.mu.Unlock()
	if _, err := c.pickAttachments(ctx, 2); !errors.Is(err, errDialogBroken) {
		t.Fatalf("broken dialog: %v", err)
	}
}

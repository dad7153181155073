package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/attach/attachtest"
	"github.com/holdfast-chat/holdfast/internal/export"
	"github.com/holdfast-chat/holdfast/internal/importjob"
	"github.com/holdfast-chat/holdfast/internal/store"
)

func TestImportFromMenu(t *testing.T) {
	c, ui, _ := startCore(t, 2000, false)
	ctx := context.Background()
	fixture, err := filepath.Abs(filepath.Join("..", "internal", "importer", "testdata", "claude", "conversations.json"))
	if err != nil {
		t.Fatal(err)
	}

	// Cancelling the dialog imports nothing.
	if id, err := c.importFile(ctx); id != "" || err != nil {
		t.Fatalf("cancelled dialog: %q, %v", id, err)
	}
	var asked OpenDialog
	ui.mu.Lock()
	ui.OpenFn = func(d OpenDialog) (string, error) { asked = d; return fixture, nil }
	ui.mu.Unlock()
	id, err := c.importFile(ctx)
	if err != nil || id == "" {
		t.Fatalf("import: %q, %v", id, err)
	}
	if !strings.Contains(asked.Filters[0].Pattern, "*.zip") {
		t.Errorf("dialog filters %+v", asked.Filters)
	}
	// The page is told which import to follow.
	found := false
	for _, e := range ui.emittedEvents() {
		if e.event == EventImportStarted && len(e.data) == 1 && e.data[0] == id {
			found = true
		}
	}
	if !found {
		t.Fatalf("no %s event in %+v", EventImportStarted, ui.emittedEvents())
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := c.be.Imports().Wait(wctx, id)
	if err != nil || st.State != importjob.StateDone || st.Summary.Imported == 0 || st.Name != "conversations.json" {
		t.Fatalf("import ended %+v %+v, %v", st, st.Summary, err)
	}
	ss, err := c.be.Store().ListSessions(ctx, "")
	if err != nil || len(ss) != st.Summary.Imported {
		t.Fatalf("%d chats (%v), want %d", len(ss), err, st.Summary.Imported)
	}
	// The file the user picked is theirs: it is not removed.
	if _, err := os.Stat(fixture); err != nil {
		t.Fatalf("the picked file is gone: %v", err)
	}
}

// A Holdfast JSON export picked in File → Import… brings the files of
// the folder beside it; Export All as JSON Lines writes them beside its
// file again.
func TestImportFromMenuWithFiles(t *testing.T) {
	c, ui, _ := startCore(t, 2000, false)
	ctx := context.Background()
	png := attachtest.PNG(6, 4)
	sum := sha256.Sum256(png)
	id := hex.EncodeToString(sum[:])
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	chat := export.Chat{
		Session: store.Session{ID: "s_menu", Title: "With a picture", TitleSource: store.TitleUser, Model: "demo/demo",
			CreatedAt: at, UpdatedAt: at, LastActivityAt: at, CurrentLeafID: "m_p2"},
		Messages: []store.Message{
			{ID: "m_p1", SessionID: "s_menu", Role: store.RoleUser, Content: "Look", Status: store.StatusComplete, CreatedAt: at, UpdatedAt: at,
				Attachments: []store.Attachment{{ID: id, Name: "pic.png", Size: int64(len(png)), MIME: "image/png", Kind: "image", Width: 6, Height: 4}}},
			{ID: "m_p2", SessionID: "s_menu", ParentID: "m_p1", Depth: 1, Role: store.RoleAssistant, Content: "Nice.", Status: store.StatusComplete,
				Model: "demo/demo", CreatedAt: at, UpdatedAt: at},
		},
		AppVersion: "test",
	}
	dir := t.TempDir()
	picked := filepath.Join(dir, "picture.json")
	chat.FilesDir = export.FilesDirFor(picked)
	var doc bytes.Buffer
	if err := export.Write(&doc, export.JSON, chat); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(picked, doc.Bytes(), 0o600)
	os.MkdirAll(filepath.Join(dir, "picture files"), 0o700)
	os.WriteFile(filepath.Join(dir, "picture files", id[:12]+"-pic.png"), png, 0o600)

	ui.mu.Lock()
	ui.OpenFn = func(OpenDialog) (string, error) { return picked, nil }
	ui.mu.Unlock()
	jid, err := c.importFile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := c.be.Imports().Wait(wctx, jid)
	if err != nil || st.State != importjob.StateDone || st.Summary.Imported != 1 || st.Summary.Files != 1 || st.Summary.MissingFiles != 0 {
		t.Fatalf("import ended %+v %+v, %v", st, st.Summary, err)
	}
	m, err := c.be.Store().GetMessage(ctx, "m_p1")
	if err != nil || len(m.Attachments) != 1 || m.Attachments[0].ID != id {
		t.Fatalf("imported question %+v, %v", m, err)
	}

	out := t.TempDir()
	ui.SaveFn = func(SaveDialog) (string, error) { return filepath.Join(out, "all.jsonl"), nil }
	if _, err := c.exportAllJSONL(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, "all files", id[:12]+"-pic.png"))
	if err != nil || !bytes.Equal(got, png) {
		t.Fatalf("Export All as JSON Lines did not write the file beside it: %v", err)
	}
}

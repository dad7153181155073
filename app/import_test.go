package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/importjob"
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

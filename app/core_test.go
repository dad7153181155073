package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/export"
	"github.com/holdfast-chat/holdfast/internal/sse/ssetest"
	"github.com/holdfast-chat/holdfast/internal/store"
)

func TestConnectionInfoWaitsForStartup(t *testing.T) {
	home := t.TempDir()
	ui := newFakeUI()
	release := make(chan struct{})
	real := testOpener(t, home, 1000)
	c := NewCore(CoreConfig{Home: home, UI: ui, Open: func(ctx context.Context, log *slog.Logger) (Backend, error) {
		<-release // the database is slow to open
		return real(ctx, log)
	}})
	defer c.shutdown(context.Background())
	go c.startup(context.Background())

	if _, err := c.connectionInfo(50 * time.Millisecond); err == nil || !strings.Contains(err.Error(), "waiting for the backend") {
		t.Fatalf("before the backend opened: %v, want a wait timeout", err)
	}
	got := make(chan ConnectionInfo, 1)
	go func() {
		info, err := (&App{core: c}).ConnectionInfo()
		if err != nil {
			t.Error(err)
		}
		got <- info
	}()
	close(release)
	info := <-got
	if !strings.HasPrefix(info.BaseURL, "http://127.0.0.1:") || len(info.Token) < 16 {
		t.Fatalf("ConnectionInfo = %+v", info)
	}
	// The info works: the health endpoint answers with that token.
	req, _ := http.NewRequest("GET", info.BaseURL+"/api/health", nil)
	req.Header.Set("Authorization", "Bearer "+info.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health with the connection info: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestStartupFailureIsShownAndReported(t *testing.T) {
	home := t.TempDir()
	// A database file that is not SQLite: the store refuses it.
	os.WriteFile(filepath.Join(home, "holdfast.db"), []byte("not a database, but someone's notes"), 0o644)
	ui := newFakeUI()
	c := NewCore(CoreConfig{Home: home, UI: ui, Open: testOpener(t, home, 0)})
	c.startup(context.Background())
	_, err := (&App{core: c}).ConnectionInfo()
	if err == nil || !strings.Contains(err.Error(), "not a SQLite database") {
		t.Fatalf("ConnectionInfo error = %v, want the store's refusal", err)
	}
	select {
	case <-ui.messaged:
	case <-time.After(5 * time.Second):
		t.Fatal("no error dialog")
	}
	m := ui.shownMessages()[0]
	if m.kind != ErrorMessage || m.title != "Holdfast could not start" {
		t.Errorf("dialog = %+v", m)
	}
	mustContain(t, "dialog text", m.text, "not a SQLite database", home)
	if b, _ := os.ReadFile(filepath.Join(home, "holdfast.db")); !bytes.HasPrefix(b, []byte("not a database")) {
		t.Error("the foreign file was touched")
	}
	// Actions needing the backend report the same error instead of hanging.
	if _, err := c.exportAllJSONL(context.Background()); err == nil {
		t.Error("export with no backend succeeded")
	}
	c.shutdown(context.Background()) // nothing to close; must not hang or panic
}

func TestPageEvents(t *testing.T) {
	ui := newFakeUI()
	c := NewCore(CoreConfig{Home: t.TempDir(), UI: ui, Open: func(context.Context, *slog.Logger) (Backend, error) {
		return nil, errors.New("no backend in this test")
	}})
	c.startup(context.Background())
	<-ui.messaged

	tests := []struct {
		event      string
		data       []any
		wantActive string
		wantStatus string
	}{
		{EventActiveSession, []any{"s_1"}, "s_1", ""},
		{EventActiveSession, []any{"s_2"}, "s_2", ""},
		{EventStreamStatus, []any{"live"}, "s_2", "live"},
		{EventStreamStatus, []any{map[string]any{"state": "reconnecting", "attempt": 2.0}}, "s_2", "reconnecting"},
		{EventStreamStatus, []any{map[string]any{"nostate": true}}, "s_2", ""},
		{EventActiveSession, []any{""}, "", ""},
		{EventActiveSession, []any{42.0}, "", ""},
		{EventActiveSession, nil, "", ""},
	}
	for i, tt := range tests {
		ui.fire(tt.event, tt.data...)
		if got := c.Active(); got != tt.wantActive {
			t.Errorf("step %d: active = %q, want %q", i, got, tt.wantActive)
		}
		if tt.event == EventStreamStatus {
			c.mu.Lock()
			status := c.status
			c.mu.Unlock()
			if status != tt.wantStatus {
				t.Errorf("step %d: status = %q, want %q", i, status, tt.wantStatus)
			}
		}
	}
}

func TestExportChat(t *testing.T) {
	c, ui, _ := startCore(t, 2000, false)
	cl := client{t, c}
	s, a := cl.newChat("Export <me> / please", "/echo Hello <b>world</b> ``` fence\n## Assistant")
	cl.waitDone(s.ID, a.ID, 10*time.Second)
	ctx := context.Background()
	load := func() export.Chat {
		ch, err := export.Load(ctx, c.be.Store(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		ch.AppVersion = "1.2.3-test" // startCore's version, stamped by the app
		return ch
	}
	render := func(f export.Format) []byte {
		var b bytes.Buffer
		export.Write(&b, f, load())
		return b.Bytes()
	}

	t.Run("no chat open", func(t *testing.T) {
		ui.fire(EventActiveSession, "")
		path, err := c.exportChat(ctx, export.Markdown)
		if err != nil || path != "" || len(ui.saves) != 0 {
			t.Fatalf("got %q, %v, %d dialogs; want a note and no dialog", path, err, len(ui.saves))
		}
		m := ui.shownMessages()
		if len(m) != 1 || m[0].kind != InfoMessage || !strings.Contains(m[0].text, "Open a chat first") {
			t.Fatalf("messages = %+v", m)
		}
	})

	ui.fire(EventActiveSession, s.ID)
	tests := []struct {
		name     string
		chosen   export.Format
		typed    string // file name the user leaves in the dialog
		wantFile string
		want     export.Format
	}{
		{"markdown", export.Markdown, "chat.md", "chat.md", export.Markdown},
		{"json", export.JSON, "chat.json", "chat.json", export.JSON},
		{"html", export.HTML, "chat.html", "chat.html", export.HTML},
		{"typed extension wins", export.Markdown, "chat.html", "chat.html", export.HTML},
		{"no extension gets the chosen one", export.JSON, "chat", "chat.json", export.JSON},
		{"other extension keeps the chosen format", export.Markdown, "chat.txt", "chat.txt", export.Markdown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ui.SaveFn = func(d SaveDialog) (string, error) { return filepath.Join(dir, tt.typed), nil }
			path, err := c.exportChat(ctx, tt.chosen)
			if err != nil {
				t.Fatal(err)
			}
			if path != filepath.Join(dir, tt.wantFile) {
				t.Fatalf("wrote %s, want %s", path, tt.wantFile)
			}
			got, _ := os.ReadFile(path)
			if !bytes.Equal(got, render(tt.want)) {
				t.Fatalf("file is not the %s export:\n%.300s", tt.want, got)
			}
			if !bytes.Contains(got, []byte("1.2.3-test")) {
				t.Errorf("the %s export does not carry the app's version", tt.want)
			}
			d := ui.saves[len(ui.saves)-1]
			if d.Filename != export.FileName(s.Title, s.CreatedAt, tt.chosen) || len(d.Filters) != 1 || d.Filters[0].Pattern != "*"+tt.chosen.Ext() {
				t.Errorf("dialog = %+v", d)
			}
		})
	}

	t.Run("next dialog starts in the last folder", func(t *testing.T) {
		dir := t.TempDir()
		ui.SaveFn = func(SaveDialog) (string, error) { return filepath.Join(dir, "x.md"), nil }
		c.exportChat(ctx, export.Markdown)
		ui.SaveFn = nil
		c.exportChat(ctx, export.Markdown)
		if d := ui.saves[len(ui.saves)-1]; d.Dir != dir {
			t.Errorf("dialog started in %q, want %q", d.Dir, dir)
		}
	})

	t.Run("cancel writes nothing", func(t *testing.T) {
		dir := t.TempDir()
		ui.SaveFn = func(d SaveDialog) (string, error) { return "", nil }
		before := len(ui.shownMessages())
		path, err := c.exportChat(ctx, export.HTML)
		if err != nil || path != "" {
			t.Fatalf("cancel gave %q, %v", path, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 || len(ui.shownMessages()) != before {
			t.Fatal("cancel wrote a file or showed a message")
		}
	})

	t.Run("unwritable path shows the error", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
		target := filepath.Join(dir, "file", "chat.md")
		ui.SaveFn = func(SaveDialog) (string, error) { return target, nil }
		before := len(ui.shownMessages())
		a, _ := c.findAction(ActExportMarkdown)
		c.do(a) // as the menu runs it
		m := ui.shownMessages()
		if len(m) != before+1 || m[before].kind != ErrorMessage || m[before].title != "Export failed" {
			t.Fatalf("messages = %+v, want one export error", m[before:])
		}
		mustContain(t, "error", m[before].text, target, "not a directory")
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Error("failed export left files")
		}
	})

	t.Run("dialog error", func(t *testing.T) {
		ui.SaveFn = func(SaveDialog) (string, error) { return "", errDialogBroken }
		if _, err := c.exportChat(ctx, export.Markdown); !errors.Is(err, errDialogBroken) {
			t.Fatalf("error = %v", err)
		}
	})

	t.Run("chat deleted meanwhile", func(t *testing.T) {
		gone, ga := cl.newChat("Gone", "/echo bye")
		cl.waitDone(gone.ID, ga.ID, 10*time.Second)
		ui.fire(EventActiveSession, gone.ID)
		if code := cl.do("DELETE", "/api/sessions/"+gone.ID, nil, nil); code != http.StatusNoContent {
			t.Fatalf("delete: %d", code)
		}
		ui.SaveFn = func(SaveDialog) (string, error) { t.Fatal("dialog shown for a deleted chat"); return "", nil }
		_, err := c.exportChat(ctx, export.Markdown)
		if err == nil || !strings.Contains(err.Error(), "no longer exists") {
			t.Fatalf("error = %v", err)
		}
		ui.fire(EventActiveSession, s.ID)
	})
}

func TestExportAll(t *testing.T) {
	c, ui, _ := startCore(t, 2000, false)
	cl := client{t, c}
	var ids []string
	for _, title := range []string{"One", "Two", "Two"} {
		s, a := cl.newChat(title, "/echo hi "+title)
		cl.waitDone(s.ID, a.ID, 10*time.Second)
		ids = append(ids, s.ID)
	}
	ctx := context.Background()

	t.Run("JSON Lines", func(t *testing.T) {
		dir := t.TempDir()
		ui.SaveFn = func(d SaveDialog) (string, error) {
			if d.Filename != "Holdfast chats 2026-11-22.jsonl" {
				t.Errorf("suggested %q", d.Filename)
			}
			return filepath.Join(dir, "all"), nil
		}
		path, err := c.exportAllJSONL(ctx)
		if err != nil || path != filepath.Join(dir, "all.jsonl") {
			t.Fatalf("exportAllJSONL = %q, %v", path, err)
		}
		f, _ := os.Open(path)
		defer f.Close()
		seen := map[string]bool{}
		if err := export.DecodeLines(f, func(ch export.Chat) error { seen[ch.Session.ID] = len(ch.Messages) == 2; return nil }); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if !seen[id] {
				t.Errorf("chat %s missing or incomplete", id)
			}
		}
		m := ui.shownMessages()
		mustContain(t, "confirmation", m[len(m)-1].text, "Exported 3 chats", path)
	})

	t.Run("Markdown folder", func(t *testing.T) {
		parent := t.TempDir()
		ui.FolderFn = func(title, dir string) (string, error) { return parent, nil }
		dir, err := c.exportAllMarkdown(ctx)
		if err != nil || dir != filepath.Join(parent, "Holdfast chats 2026-11-22 150405") {
			t.Fatalf("exportAllMarkdown = %q, %v", dir, err)
		}
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if len(names) != 3 || !strings.Contains(strings.Join(names, "|"), "Two (2).md") {
			t.Fatalf("files = %q", names)
		}
		// The same second again: a new folder, the first one untouched.
		dir2, err := c.exportAllMarkdown(ctx)
		if err != nil || dir2 != dir+" (2)" {
			t.Fatalf("second export = %q, %v", dir2, err)
		}
	})

	t.Run("cancel writes nothing", func(t *testing.T) {
		ui.SaveFn, ui.FolderFn = nil, nil
		before := len(ui.shownMessages())
		if p, err := c.exportAllJSONL(ctx); p != "" || err != nil {
			t.Fatalf("%q, %v", p, err)
		}
		if p, err := c.exportAllMarkdown(ctx); p != "" || err != nil {
			t.Fatalf("%q, %v", p, err)
		}
		if len(ui.shownMessages()) != before {
			t.Error("cancel showed a message")
		}
	})
}

func TestMenuActions(t *testing.T) {
	c, ui, home := startCore(t, 2000, false)
	tests := []struct {
		id    string
		check func(t *testing.T)
	}{
		{ActNewChat, func(t *testing.T) {
			e := ui.emittedEvents()
			if e[len(e)-1].event != EventNewChat {
				t.Errorf("emitted %+v", e[len(e)-1])
			}
		}},
		{ActToggleTheme, func(t *testing.T) {
			e := ui.emittedEvents()
			if e[len(e)-1].event != EventToggleTheme {
				t.Errorf("emitted %+v", e[len(e)-1])
			}
		}},
		{ActShortcuts, func(t *testing.T) {
			e := ui.emittedEvents()
			if e[len(e)-1].event != EventShortcuts {
				t.Errorf("emitted %+v", e[len(e)-1])
			}
		}},
		{ActReload, func(t *testing.T) {
			if ui.reloads != 1 {
				t.Errorf("reloads = %d", ui.reloads)
			}
		}},
		{ActOpenDataFolder, func(t *testing.T) {
			if ui.opened[len(ui.opened)-1] != home {
				t.Errorf("opened %q", ui.opened)
			}
		}},
		{ActOpenLogs, func(t *testing.T) {
			if ui.opened[len(ui.opened)-1] != filepath.Join(home, "logs") {
				t.Errorf("opened %q", ui.opened)
			}
		}},
		{ActAbout, func(t *testing.T) {
			m := ui.shownMessages()
			last := m[len(m)-1]
			if last.kind != InfoMessage || last.title != "About Holdfast" {
				t.Errorf("about = %+v", last)
			}
			mustContain(t, "about", last.text, "Holdfast 1.2.3-test", "Data folder: "+home)
		}},
		{ActQuit, func(t *testing.T) {
			if ui.quits != 1 {
				t.Errorf("quits = %d", ui.quits)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			a, ok := c.findAction(tt.id)
			if !ok {
				t.Fatalf("no action %s", tt.id)
			}
			c.do(a)
			tt.check(t)
		})
	}

	t.Run("open folder failure is shown", func(t *testing.T) {
		ui.OpenErr = errors.New("no file manager")
		before := len(ui.shownMessages())
		a, _ := c.findAction(ActOpenDataFolder)
		c.do(a)
		m := ui.shownMessages()
		if len(m) != before+1 || m[before].kind != ErrorMessage {
			t.Fatalf("messages = %+v", m[before:])
		}
		mustContain(t, "error", m[before].text, "no file manager", home)
		ui.OpenErr = nil
	})
}

func TestMenuStructure(t *testing.T) {
	c := NewCore(CoreConfig{Home: t.TempDir(), UI: newFakeUI()})
	m := c.appMenu()
	var top []string
	for _, it := range m.Items {
		if it.Label != "" {
			top = append(top, it.Label)
		}
	}
	if strings.Join(top, ",") != "File,View,Help" {
		t.Errorf("top-level menus = %q", top)
	}
	// Every action appears once with its accelerator; ids are unique.
	type entry struct{ label, accel string }
	found := map[string]entry{}
	var walk func(path string, entries []any)
	walk = func(path string, entries []any) {
		for _, e := range entries {
			switch e := e.(type) {
			case action:
				if _, dup := found[e.id]; dup {
					t.Errorf("duplicate action id %s", e.id)
				}
				acc := ""
				if e.accel != nil {
					acc = strings.Join(append(modifiers(e.accel.Modifiers), e.accel.Key), "+")
				}
				found[e.id] = entry{path + e.label, acc}
			case menuGroup:
				walk(path+e.label+" > ", e.entries)
			}
		}
	}
	for _, g := range c.menuTree() {
		walk(g.label+" > ", g.entries)
	}
	want := map[string]entry{
		ActNewChat:         {"File > New Chat", "cmdorctrl+n"},
		ActImport:          {"File > Import…", "cmdorctrl+o"},
		ActExportMarkdown:  {"File > Export Chat > Markdown…", "cmdorctrl+e"},
		ActExportJSON:      {"File > Export Chat > JSON…", ""},
		ActExportHTML:      {"File > Export Chat > HTML…", ""},
		ActExportAllJSONL:  {"File > Export All Chats > One JSON Lines File…", ""},
		ActExportAllFolder: {"File > Export All Chats > Folder of Markdown Files…", ""},
		ActOpenDataFolder:  {"File > Open Data Folder", ""},
		ActQuit:            {"File > Quit", "cmdorctrl+q"},
		ActReload:          {"View > Reload", "cmdorctrl+r"},
		ActToggleTheme:     {"View > Toggle Theme", "cmdorctrl+shift+l"},
		ActRestartBackend:  {"View > Restart Backend", ""},
		ActShortcuts:       {"Help > Keyboard Shortcuts", ""},
		ActAbout:           {"Help > About Holdfast", ""},
		ActOpenLogs:        {"Help > Open Logs", ""},
	}
	for id, w := range want {
		if got := found[id]; got != w {
			t.Errorf("%s = %+v, want %+v", id, got, w)
		}
	}
	if len(found) != len(want) {
		t.Errorf("%d actions, want %d", len(found), len(want))
	}
	if _, ok := c.findAction("no.such"); ok {
		t.Error("findAction found a missing id")
	}
}

func TestShutdownKeepsPartialAnswers(t *testing.T) {
	c, _, home := startCore(t, 20, false)
	cl := client{t, c}
	s, a := cl.newChat("Long", "tell me something long")
	// Let a few tokens stream, then quit mid-answer.
	ssetest.Eventually(t, "some streamed text", 10*time.Second, func() bool {
		m, err := c.be.Store().GetMessage(context.Background(), a.ID)
		return err == nil && len(m.Content) > 10
	})
	c.shutdown(context.Background())

	st, err := store.Open(context.Background(), filepath.Join(home, "holdfast.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	msgs, err := st.ListAllMessages(context.Background(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := msgs[len(msgs)-1]
	if last.Status == store.StatusStreaming || len(last.Content) <= 10 {
		t.Fatalf("after shutdown the answer is %s with %d bytes; want it ended with its text kept", last.Status, len(last.Content))
	}
}

func TestSecondInstanceFocuses(t *testing.T) {
	c, ui, home := startCore(t, 2000, true)
	c.secondInstance()
	if ui.focuses != 1 {
		t.Errorf("focuses = %d", ui.focuses)
	}
	b, _ := os.ReadFile(filepath.Join(home, "test-hooks", "events.log"))
	mustContain(t, "events.log", string(b), " second-instance\n")
}

func TestLogSink(t *testing.T) {
	home := t.TempDir()
	var fallback bytes.Buffer
	s := &logSink{fallback: &fallback}
	s.Write([]byte("before\n"))
	if _, err := os.Stat(logDir(home)); err == nil {
		t.Fatal("log folder made before open")
	}
	path, err := s.open(home)
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("after\n"))
	s.close()
	b, _ := os.ReadFile(path)
	if string(b) != "after\n" || fallback.String() != "before\nafter\n" {
		t.Fatalf("log %q, fallback %q", b, fallback.String())
	}

	// A big old log is moved aside.
	f, _ := os.OpenFile(path, os.O_WRONLY, 0)
	f.Truncate(maxLogBytes + 1)
	f.Close()
	s2 := &logSink{}
	if _, err := s2.open(home); err != nil {
		t.Fatal(err)
	}
	s2.Write([]byte("fresh\n"))
	s2.close()
	if b, _ := os.ReadFile(path); string(b) != "fresh\n" {
		t.Errorf("new log = %q", b)
	}
	if fi, err := os.Stat(path + ".1"); err != nil || fi.Size() != maxLogBytes+1 {
		t.Errorf("rotated log: %v", err)
	}

	// An unusable log folder is an error, not a crash.
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "logs"), nil, 0o644)
	if _, err := (&logSink{}).open(bad); err == nil {
		t.Error("open succeeded with logs/ being a file")
	}
}

func TestSecondWindowOnSameHomeStaysOut(t *testing.T) {
	_, _, home := startCore(t, 2000, false)
	ui := newFakeUI()
	opened := false
	c2 := NewCore(CoreConfig{Home: home, UI: ui, Open: func(context.Context, *slog.Logger) (Backend, error) {
		opened = true
		return nil, errors.New("must not be called")
	}})
	c2.startup(context.Background())
	<-ui.messaged
	if opened {
		t.Fatal("a second window opened the backend on a folder in use")
	}
	if m := ui.shownMessages(); m[0].title != "Holdfast is already running" {
		t.Errorf("message = %+v", m[0])
	}
	ssetest.Eventually(t, "the second window to quit", 5*time.Second, func() bool {
		ui.mu.Lock()
		defer ui.mu.Unlock()
		return ui.quits == 1
	})
	if _, err := c2.connectionInfo(time.Second); !errors.Is(err, errHomeInUse) {
		t.Errorf("ConnectionInfo error = %v", err)
	}
	c2.shutdown(context.Background())
}

func TestLockReleasedOnShutdown(t *testing.T) {
	c, _, home := startCore(t, 2000, false)
	c.shutdown(context.Background())
	release, err := lockHome(home)
	if err != nil {
		t.Fatalf("lock still held after shutdown: %v", err)
	}
	release()
}

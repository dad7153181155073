package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/sse/ssetest"
)

// eventually is the generous bound for things the watcher must do.
const eventually = 10 * time.Second

// testDebounce keeps tests quick; the rapid-writes test uses a longer one.
const testDebounce = 40 * time.Millisecond

// logBuf collects log output from the watcher goroutine and the test.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// count returns how many records have the message msg.
func (l *logBuf) count(msg string) int {
	return strings.Count(l.String(), `"msg":"`+msg+`"`)
}

const (
	logApplied  = "configuration applied"
	logRejected = "configuration not applied; the last good one stays in force"
)

func newLogger(buf *logBuf) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startManager loads a Manager on dir, closed at the end of the test.
func startManager(t *testing.T, dir string, debounce time.Duration) (*Manager, *logBuf) {
	t.Helper()
	buf := &logBuf{}
	m := New(dir, Options{Logger: newLogger(buf), Debounce: debounce})
	if err := m.Load(context.Background()); err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m, buf
}

func subscribe(t *testing.T, m *Manager) <-chan Change {
	t.Helper()
	ch, cancel := m.Subscribe()
	t.Cleanup(cancel)
	return ch
}

func nextChange(t *testing.T, ch <-chan Change) Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed")
		}
		return c
	case <-time.After(eventually):
		t.Fatal("no change within", eventually)
	}
	return Change{}
}

// noChange checks that nothing more arrives while the watcher has ample
// time (many debounce periods) to act on any pending event.
func noChange(t *testing.T, ch <-chan Change, debounce time.Duration) {
	t.Helper()
	select {
	case c := <-ch:
		t.Fatalf("unexpected change: %v (err %v)", c.Config, c.Err)
	case <-time.After(10 * debounce):
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func renameInto(t *testing.T, path, text string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "config.toml.swp")
	writeFile(t, tmp, text)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func withTheme(theme string) string {
	c := Default()
	c.UI.Theme = theme
	return string(render(c))
}

func TestFirstRunWritesDefaults(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "holdfast")
	m, _ := startManager(t, dir, testDebounce)

	fi, err := os.Stat(m.Path())
	if err != nil {
		t.Fatalf("no default file: %v", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(m.Path())
	for _, want := range []string{"# Holdfast configuration", "default_model = \"demo/demo\"", "# --- Anthropic", "# --- Ollama", "# --- LM Studio", "# --- OpenRouter", "# --- OpenAI"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("default file lacks %q", want)
		}
	}
	cfg, warns, err := parse(m.Path(), data)
	if err != nil || len(warns) > 0 {
		t.Fatalf("default file: %v %v", err, warns)
	}
	if cfg.String() != Default().String() || m.Current().String() != Default().String() || m.Err() != nil {
		t.Fatalf("got %v / %v (err %v), want the defaults", cfg, m.Current(), m.Err())
	}
}

func TestLoadExistingFile(t *testing.T) {
	cases := []struct {
		name      string
		content   string
		wantTheme string
		wantErr   string // "" for none
		rewritten bool   // the file is replaced by the defaults
	}{
		{"good file is kept", withTheme(ThemeDark), ThemeDark, "", false},
		{"empty file gets the defaults", "", ThemeSystem, "", true},
		{"invalid file is kept and reported", "[ui]\ntheme = \"blue\"\n", ThemeSystem, "line 2, column 1: ui.theme", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			writeFile(t, path, tc.content)
			m, _ := startManager(t, dir, testDebounce)
			if got := m.Current().UI.Theme; got != tc.wantTheme {
				t.Errorf("theme = %q, want %q", got, tc.wantTheme)
			}
			if err := m.Err(); (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Err() = %v, want %q", err, tc.wantErr)
			}
			data, _ := os.ReadFile(path)
			if rewritten := string(data) != tc.content; rewritten != tc.rewritten {
				t.Errorf("file rewritten = %v, want %v", rewritten, tc.rewritten)
			}
		})
	}
}

func TestReload(t *testing.T) {
	cases := []struct {
		name string
		save func(t *testing.T, m *Manager, ch <-chan Change, text string)
	}{
		{"in-place write", func(t *testing.T, m *Manager, _ <-chan Change, text string) {
			writeFile(t, m.Path(), text)
		}},
		{"atomic rename", func(t *testing.T, m *Manager, _ <-chan Change, text string) {
			renameInto(t, m.Path(), text)
		}},
		{"truncate then write", func(t *testing.T, m *Manager, _ <-chan Change, text string) {
			f, err := os.OpenFile(m.Path(), os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Sync(); err != nil { // the empty file is visible now
				t.Fatal(err)
			}
			if _, err := f.WriteString(text); err != nil {
				t.Fatal(err)
			}
		}},
		{"delete and re-create", func(t *testing.T, m *Manager, ch <-chan Change, text string) {
			if err := os.Remove(m.Path()); err != nil {
				t.Fatal(err)
			}
			c := nextChange(t, ch)
			if c.Err == nil || !strings.HasPrefix(c.Err.Error(), "config.toml was removed; using the last good configuration") {
				t.Fatalf("after delete: err = %v", c.Err)
			}
			if c.Config.UI.Theme != ThemeSystem || m.Current().UI.Theme != ThemeSystem {
				t.Fatalf("after delete the last good config must stay, got %v", c.Config)
			}
			writeFile(t, m.Path(), text)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, log := startManager(t, t.TempDir(), testDebounce)
			ch := subscribe(t, m)
			tc.save(t, m, ch, withTheme(ThemeDark))
			c := nextChange(t, ch)
			if c.Err != nil || c.Config.UI.Theme != ThemeDark || c.Previous.UI.Theme != ThemeSystem {
				t.Fatalf("change = %v (previous %v, err %v)", c.Config, c.Previous, c.Err)
			}
			if m.Current().UI.Theme != ThemeDark || m.Err() != nil {
				t.Fatalf("Current = %v, Err = %v", m.Current(), m.Err())
			}
			noChange(t, ch, testDebounce)
			if tc.name != "delete and re-create" && log.count(logRejected) != 0 {
				t.Errorf("an intermediate state was reported as an error:\n%s", log)
			}
		})
	}
}

func TestInvalidFileKeepsLastGood(t *testing.T) {
	m, _ := startManager(t, t.TempDir(), testDebounce)
	ch := subscribe(t, m)
	writeFile(t, m.Path(), withTheme(ThemeDark))
	if c := nextChange(t, ch); c.Config.UI.Theme != ThemeDark {
		t.Fatalf("good file not applied: %v", c.Config)
	}

	bad := []struct {
		name, text, want string
		line, col        int
	}{
		{"syntax", "[ui]\ntheme = \"light\n", "strings cannot contain newlines", 2, 15},
		{"value", "[ui]\ntheme = \"light\"\n\n[server]\naddr = \"192.168.1.2:80\"\n", "not a loopback address", 5, 1},
	}
	for _, b := range bad {
		writeFile(t, m.Path(), b.text)
		c := nextChange(t, ch)
		var e *Error
		if !errors.As(c.Err, &e) || e.Problems[0].Line != b.line || e.Problems[0].Column != b.col || !strings.Contains(e.Problems[0].Message, b.want) {
			t.Fatalf("%s: err = %#v", b.name, c.Err)
		}
		if c.Config.UI.Theme != ThemeDark || m.Current().UI.Theme != ThemeDark || m.Current().Server.Addr != DefaultAddr {
			t.Fatalf("%s: the last good config must stay in force, got %v", b.name, m.Current())
		}
		if !errors.Is(m.Err(), c.Err) {
			t.Fatalf("%s: Err() = %v, want %v", b.name, m.Err(), c.Err)
		}
		if c.AddrChanged() {
			t.Fatalf("%s: an invalid file must not move the server", b.name)
		}
	}

	writeFile(t, m.Path(), withTheme(ThemeLight))
	c := nextChange(t, ch)
	if c.Err != nil || m.Err() != nil || c.Config.UI.Theme != ThemeLight || c.Previous.UI.Theme != ThemeDark {
		t.Fatalf("fixed file: %v (previous %v), err %v / %v", c.Config, c.Previous, c.Err, m.Err())
	}
}

func TestRapidWritesApplyOnce(t *testing.T) {
	const debounce = 300 * time.Millisecond // far longer than ten writes take
	m, log := startManager(t, t.TempDir(), debounce)
	ch := subscribe(t, m)
	before := log.count(logApplied)
	for i := range 10 {
		c := Default()
		c.SystemPrompt = "write " + string(rune('0'+i))
		if i%2 == 0 {
			renameInto(t, m.Path(), string(render(c)))
		} else {
			writeFile(t, m.Path(), string(render(c)))
		}
	}
	c := nextChange(t, ch)
	if c.Err != nil || c.Config.SystemPrompt != "write 9" {
		t.Fatalf("applied %q (err %v), want the last write", c.Config.SystemPrompt, c.Err)
	}
	noChange(t, ch, debounce)
	if n := log.count(logApplied) - before; n != 1 {
		t.Fatalf("applied %d times, want once:\n%s", n, log)
	}
	if n := log.count(logRejected); n != 0 {
		t.Fatalf("%d errors reported during the writes:\n%s", n, log)
	}
}

func TestAddrChangeIsVisible(t *testing.T) {
	m, _ := startManager(t, t.TempDir(), testDebounce)
	ch := subscribe(t, m)
	c := Default()
	c.Server.Addr = "127.0.0.1:8765"
	writeFile(t, m.Path(), string(render(c)))
	got := nextChange(t, ch)
	if !got.AddrChanged() || got.Previous.Server.Addr != DefaultAddr || got.Config.Server.Addr != "127.0.0.1:8765" {
		t.Fatalf("change: %v -> %v, AddrChanged %v", got.Previous.Server.Addr, got.Config.Server.Addr, got.AddrChanged())
	}
	c.UI.Theme = ThemeDark
	writeFile(t, m.Path(), string(render(c)))
	if got := nextChange(t, ch); got.AddrChanged() {
		t.Fatalf("theme change reported as an address change")
	}
}

// A subscriber that does not keep up gets the newest state, with Previous
// still what it last saw: an address change is not lost in the merge.
func TestSlowSubscriberGetsMergedChange(t *testing.T) {
	m, _ := startManager(t, t.TempDir(), testDebounce)
	ch := subscribe(t, m)
	ctx := context.Background()
	if err := m.Update(ctx, func(c *Config) error { c.Server.Addr = "127.0.0.1:9001"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := m.Update(ctx, func(c *Config) error { c.UI.Theme = ThemeDark; return nil }); err != nil {
		t.Fatal(err)
	}
	c := nextChange(t, ch)
	if c.Config.UI.Theme != ThemeDark || !c.AddrChanged() || c.Previous.Server.Addr != DefaultAddr {
		t.Fatalf("merged change: %v (previous %v)", c.Config, c.Previous)
	}
	noChange(t, ch, testDebounce)
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	temp := 0.3
	m, _ := startManager(t, t.TempDir(), testDebounce)
	ch := subscribe(t, m)
	err := m.Update(ctx, func(c *Config) error {
		c.DefaultModel = "local/qwen2.5:7b"
		c.Server.Addr = "127.0.0.1:8765"
		c.Providers = append(c.Providers, Provider{Name: "local", Kind: KindOpenAI, BaseURL: "http://127.0.0.1:11434/v1", Params: Params{Temperature: &temp}})
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}

	fi, err := os.Stat(m.Path())
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(m.Path()))
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only config.toml (no temporary files left)", len(entries))
	}
	data, _ := os.ReadFile(m.Path())
	if !bytes.HasPrefix(data, []byte("# Holdfast configuration")) {
		t.Errorf("the standard comments are missing")
	}
	onDisk, _, err := parse(m.Path(), data)
	if err != nil || len(onDisk.Providers) != 1 || onDisk.Providers[0].Endpoint() != "http://127.0.0.1:11434/v1" || *onDisk.Providers[0].Params.Temperature != temp {
		t.Fatalf("file holds %v (err %v)", onDisk, err)
	}

	c := nextChange(t, ch)
	if c.Err != nil || !c.AddrChanged() || c.Config.DefaultModel != "local/qwen2.5:7b" || len(c.Config.Providers) != 1 {
		t.Fatalf("change = %v (err %v)", c.Config, c.Err)
	}
	if got := m.Current(); got.String() != onDisk.String() {
		t.Fatalf("Current = %v, file = %v", got, onDisk)
	}
	// The watcher sees the write too, and finds nothing new.
	noChange(t, ch, testDebounce)

	// The watcher applies it like any other change: a hand edit after it
	// is picked up.
	onDisk.UI.Theme = ThemeDark
	writeFile(t, m.Path(), string(render(onDisk)))
	if c := nextChange(t, ch); c.Config.UI.Theme != ThemeDark || len(c.Config.Providers) != 1 {
		t.Fatalf("hand edit after Update: %v", c.Config)
	}
}

func TestUpdateStartsFromTheFileOnDisk(t *testing.T) {
	m, _ := startManager(t, t.TempDir(), time.Hour) // the watcher never gets to it
	writeFile(t, m.Path(), withTheme(ThemeDark))
	if err := m.Update(context.Background(), func(c *Config) error {
		if c.UI.Theme != ThemeDark {
			t.Errorf("Update saw theme %q, want the hand edit on disk", c.UI.Theme)
		}
		c.UI.Language = LanguageChinese
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := m.Current().UI; got.Theme != ThemeDark || got.Language != LanguageChinese {
		t.Fatalf("Current().UI = %+v, want both edits", got)
	}
}

func TestUpdateRefusals(t *testing.T) {
	errFn := errors.New("nothing to do")
	cases := []struct {
		name    string
		file    string // written before Update; "" keeps the default file
		fn      func(*Config) error
		wantErr string
	}{
		{"invalid file on disk is not overwritten", "[ui]\ntheme = \"light\n", func(*Config) error { return nil }, "fix config.toml first"},
		{"invalid result", "", func(c *Config) error { c.Server.Addr = "0.0.0.0:80"; return nil }, "is not a loopback address"},
		{"duplicate provider", "", func(c *Config) error {
			c.Providers = []Provider{{Name: "a", Kind: KindOpenAI}, {Name: "a", Kind: KindAnthropic}}
			return nil
		}, "already used"},
		{"callback error", "", func(*Config) error { return errFn }, errFn.Error()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := startManager(t, t.TempDir(), time.Hour)
			if tc.file != "" {
				writeFile(t, m.Path(), tc.file)
			}
			before, _ := os.ReadFile(m.Path())
			err := m.Update(context.Background(), tc.fn)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Update = %v, want %q", err, tc.wantErr)
			}
			after, _ := os.ReadFile(m.Path())
			if !bytes.Equal(before, after) {
				t.Fatalf("a refused Update changed the file")
			}
		})
	}
}

func TestUpdateWritesBackARemovedFile(t *testing.T) {
	m, _ := startManager(t, t.TempDir(), testDebounce)
	ch := subscribe(t, m)
	if err := os.Remove(m.Path()); err != nil {
		t.Fatal(err)
	}
	if c := nextChange(t, ch); c.Err == nil {
		t.Fatal("removal not reported")
	}
	if err := m.Update(context.Background(), func(c *Config) error { c.UI.Theme = ThemeLight; return nil }); err != nil {
		t.Fatal(err)
	}
	if c := nextChange(t, ch); c.Err != nil || c.Config.UI.Theme != ThemeLight || m.Err() != nil {
		t.Fatalf("after Update: %v, err %v", c.Config, c.Err)
	}
	if _, err := os.Stat(m.Path()); err != nil {
		t.Fatalf("file not written back: %v", err)
	}
}

func TestClosedManager(t *testing.T) {
	m, _ := startManager(t, t.TempDir(), testDebounce)
	ch, _ := m.Subscribe()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, ok := <-ch; ok {
		t.Fatal("subscription still open after Close")
	}
	if late, _ := m.Subscribe(); func() bool { _, ok := <-late; return ok }() {
		t.Fatal("Subscribe after Close returned an open channel")
	}
	if err := m.Update(context.Background(), func(*Config) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Update after Close = %v", err)
	}
	if err := m.Load(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Load after Close = %v", err)
	}
}

func TestNoGoroutineLeakAfterClose(t *testing.T) {
	baseline := runtime.NumGoroutine()
	for range 3 {
		dir := t.TempDir()
		m := New(dir, Options{Debounce: testDebounce})
		if err := m.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		ch, _ := m.Subscribe()
		writeFile(t, m.Path(), withTheme(ThemeDark))
		nextChange(t, ch)
		writeFile(t, m.Path(), withTheme(ThemeLight)) // leave an event pending
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
	err := ssetest.WaitFor(eventually, func() error {
		if n := runtime.NumGoroutine(); n > baseline {
			return fmt.Errorf("%d goroutines after Close, %d before", n, baseline)
		}
		return nil
	})
	if err != nil {
		buf := make([]byte, 1<<16)
		t.Fatalf("%v:\n%s", err, buf[:runtime.Stack(buf, true)])
	}
}

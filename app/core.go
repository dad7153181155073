package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/holdfast-chat/holdfast/internal/attach"
	"github.com/holdfast-chat/holdfast/internal/importjob"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// Events between the app and the page.
const (
	// From the page.
	EventActiveSession = "active-session" // data: session id ("" = none)
	EventStreamStatus  = "stream-status"  // data: connecting|live|reconnecting|offline|failed|closed
	EventStreamWords   = "stream-words"   // new words on screen after the stream came back
	// To the page.
	EventNewChat     = "menu:new-chat"
	EventToggleTheme = "menu:toggle-theme"
	EventOpenSession = "menu:open-session" // data: session id
	// EventImportStarted: File → Import… started an import the page
	// follows (progress, cancel, summary) like one it started itself.
	EventImportStarted = "import:started" // data: import id
	EventShortcuts     = "menu:shortcuts" // Help > Keyboard Shortcuts: the page shows its shortcut sheet
)

// Backend is what the app needs from the in-process server
// (*backend.Backend).
type Backend interface {
	BaseURL() string
	Token() string
	Home() string
	Store() *store.Store
	// Files is the attachments folder (exports copy files from it).
	Files() *attach.Files
	// Attachments stores files the user attaches (the paperclip's dialog).
	Attachments() *attach.Service
	// Imports runs imports in the background (File → Import…).
	Imports() *importjob.Manager
	// RestartServer closes the HTTP listener (streams get `shutdown`) and
	// listens again; generations keep running.
	RestartServer(ctx context.Context) error
	// Close stops everything: streams, generations (partial text kept),
	// the database.
	Close(ctx context.Context) error
}

// OpenBackend opens the data folder and starts serving on loopback.
type OpenBackend func(ctx context.Context, log *slog.Logger) (Backend, error)

// Core is the app's logic: lifecycle, menu actions, what the page reports.
// It reaches the window only through UI, so tests drive it with a fake.
type Core struct {
	version string
	home    string
	ui      UI
	open    OpenBackend
	log     *slog.Logger
	hooks   *testHooks // nil unless HOLDFAST_TEST_HOOKS=1
	now     func() time.Time

	ready   chan struct{} // closed when startup has finished, either way
	haveCtx chan struct{} // closed once startup has the Wails context

	mu       sync.Mutex
	ctx      context.Context // the Wails context from startup
	be       Backend
	startErr error
	active   string // session open in the page
	status   string // the page's stream status
	lastDir  string // folder of the last export
	// attachDir is the folder files were last attached from: photos and
	// documents live elsewhere than exports.
	attachDir string
	geometry  *Geometry // saved window state (nil = none)
	unlock    func()    // releases the data folder lock
	// restartErr is why the last Restart Backend left the server not
	// listening (nil after one that worked); restartedAt is when the last
	// one finished, to log how long the page took to show words again.
	restartErr  error
	restartedAt time.Time

	restarting sync.Mutex
}

// CoreConfig configures NewCore.
type CoreConfig struct {
	Version string
	Home    string
	UI      UI
	Open    OpenBackend
	Log     *slog.Logger
	// Geometry is the window state loaded before the window opened (nil
	// if none); startup restores its position.
	Geometry *Geometry
	// TestHooks turns on the files the desktop smoke test drives the app
	// with (see hooks.go).
	TestHooks bool
	Now       func() time.Time
}

// NewCore makes a Core. It does nothing else: side effects wait for
// startup.
func NewCore(cfg CoreConfig) *Core {
	c := &Core{
		version:  cfg.Version,
		home:     cfg.Home,
		ui:       cfg.UI,
		open:     cfg.Open,
		log:      cfg.Log,
		now:      cfg.Now,
		geometry: cfg.Geometry,
		ready:    make(chan struct{}),
		haveCtx:  make(chan struct{}),
		ctx:      context.Background(),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if cfg.TestHooks {
		c.hooks = &testHooks{dir: filepath.Join(cfg.Home, "test-hooks"), log: c.log}
	}
	return c
}

// startup runs in Wails' OnStartup: it restores the window, listens to the
// page, then opens the backend. The window is already loading the page;
// ConnectionInfo waits for this to finish.
func (c *Core) startup(ctx context.Context) {
	c.mu.Lock()
	c.ctx = ctx
	c.mu.Unlock()
	close(c.haveCtx)
	if g := c.geometry; g != nil {
		c.ui.SetGeometry(ctx, *g)
	}
	c.ui.On(ctx, EventActiveSession, func(data ...any) { c.setActive(firstString(data)) })
	c.ui.On(ctx, EventStreamStatus, func(data ...any) { c.setStatus(streamState(data)) })
	c.ui.On(ctx, EventStreamWords, func(...any) { c.wordsResumed() })
	c.hooks.listen(ctx, c.ui)

	unlock, err := lockHome(c.home)
	var be Backend
	if err == nil {
		if be, err = c.open(ctx, c.log); err != nil {
			unlock()
		}
	}
	c.mu.Lock()
	c.be, c.startErr, c.unlock = be, err, unlock
	c.mu.Unlock()
	close(c.ready)
	if errors.Is(err, errHomeInUse) {
		// Normally Wails' single-instance lock ends this process in a
		// moment and focuses the other window; without it (no session
		// D-Bus on Linux) say so and leave.
		c.log.Warn("data folder in use by another window; quitting", "home", c.home)
		go func() {
			c.ui.Message(ctx, InfoMessage, "Holdfast is already running",
				fmt.Sprintf("Another Holdfast window is using the data folder %s.", c.home))
			c.ui.Quit(ctx)
		}()
		return
	}
	if err != nil {
		c.log.Error("backend did not start", "err", err)
		// Not from this goroutine: on some platforms OnStartup must return
		// before a dialog can show.
		go c.ui.Message(ctx, ErrorMessage, "Holdfast could not start",
			fmt.Sprintf("%v\n\nData folder: %s", err, c.home))
		return
	}
	c.log.Info("backend started", "url", be.BaseURL(), "home", c.home, "version", c.version)
	if c.hooks != nil {
		c.hooks.start(ctx, c)
	}
}

// beforeClose runs when the window is about to close (close button or
// Quit): it remembers the window's size and place. It never vetoes.
func (c *Core) beforeClose(ctx context.Context) bool {
	g := c.ui.Geometry(ctx)
	if g.Maximised && c.geometry != nil {
		// A maximised window reports the screen's size; keep the size to
		// return to.
		prev := *c.geometry
		g = Geometry{X: prev.X, Y: prev.Y, Width: prev.Width, Height: prev.Height, Maximised: true}
	}
	if g.Width >= minWidth && g.Height >= minHeight {
		if err := saveWindowState(windowStatePath(c.home), g); err != nil {
			c.log.Warn("window state not saved", "err", err)
		}
	}
	return false
}

// shutdown runs in Wails' OnShutdown: streams get `shutdown`, generations
// stop keeping their text, SQLite closes.
func (c *Core) shutdown(ctx context.Context) {
	c.hooks.stopPolling()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	be, err := c.backend(ctx)
	if err != nil {
		return
	}
	defer c.unlock()
	if err := be.Close(ctx); err != nil {
		c.log.Error("backend did not close cleanly", "err", err)
		return
	}
	c.log.Info("backend closed")
}

// backend waits for startup and returns the backend or why it failed.
func (c *Core) backend(ctx context.Context) (Backend, error) {
	select {
	case <-c.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the backend to start: %w", ctx.Err())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.startErr != nil {
		return nil, c.startErr
	}
	return c.be, nil
}

// wailsCtx is the context the Wails runtime needs for UI calls. The
// runtime refuses any other, so a menu click that beats OnStartup waits
// for it.
func (c *Core) wailsCtx() context.Context {
	<-c.haveCtx
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ctx
}

// ConnectionInfo is how the page reaches the server.
type ConnectionInfo struct {
	BaseURL string `json:"baseUrl"`
	Token   string `json:"token"`
	// Down says why the server is not listening (a Restart Backend that
	// failed); BaseURL is empty then. The page shows it with a Restart
	// Backend button and keeps asking.
	Down string `json:"down,omitempty"`
}

// connectionInfo waits (up to wait) for the backend and reports where it
// listens now; after a restart that may be a new port.
func (c *Core) connectionInfo(wait time.Duration) (ConnectionInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	be, err := c.backend(ctx)
	if err != nil {
		return ConnectionInfo{}, err
	}
	info := ConnectionInfo{BaseURL: be.BaseURL(), Token: be.Token()}
	if info.BaseURL == "" {
		info.Down = "the server is not listening"
		c.mu.Lock()
		if c.restartErr != nil {
			info.Down = c.restartErr.Error()
		}
		c.mu.Unlock()
	}
	return info, nil
}

func (c *Core) setActive(id string) {
	c.mu.Lock()
	c.active = id
	c.mu.Unlock()
	c.log.Debug("active session", "id", id)
}

// Active is the session the page has open ("" = none).
func (c *Core) Active() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.active
}

func (c *Core) setStatus(st streamStatus) {
	c.mu.Lock()
	prev := c.status
	c.status = st.state
	c.mu.Unlock()
	if st.state != prev {
		if st.reason != "" {
			c.log.Info("page stream status", "status", st.state, "reason", st.reason)
		} else {
			c.log.Info("page stream status", "status", st.state)
		}
	}
	c.hooks.record("status " + st.state)
}

// restartBackend restarts the HTTP server. Generations keep running; the
// page gets `shutdown`, asks ConnectionInfo again and resumes its stream.
func (c *Core) restartBackend(ctx context.Context) error {
	if !c.restarting.TryLock() {
		return nil // one restart at a time; the one under way will do
	}
	defer c.restarting.Unlock()
	be, err := c.backend(ctx)
	if err != nil {
		return err
	}
	c.log.Info("restarting the server", "url", be.BaseURL())
	err = be.RestartServer(ctx)
	c.mu.Lock()
	c.restartErr, c.restartedAt = nil, c.now()
	if err != nil {
		c.restartErr = fmt.Errorf("restart the server: %w", err)
		err = c.restartErr
	}
	c.mu.Unlock()
	if err != nil {
		c.hooks.record("backend down")
		return err
	}
	c.log.Info("server restarted", "url", be.BaseURL())
	c.hooks.writeConn(ConnectionInfo{BaseURL: be.BaseURL(), Token: be.Token()})
	c.hooks.record("backend restarted")
	return nil
}

// wordsResumed: the page shows new words again after its stream came back.
func (c *Core) wordsResumed() {
	c.mu.Lock()
	since := c.restartedAt
	c.restartedAt = time.Time{}
	c.mu.Unlock()
	if !since.IsZero() {
		c.log.Info("words on screen again after Restart Backend", "ms", c.now().Sub(since).Milliseconds())
	} else {
		c.log.Info("words on screen again after a reconnect")
	}
	c.hooks.record("words")
}

// about shows the version and where the data lives.
func (c *Core) about(ctx context.Context) error {
	text := fmt.Sprintf("Holdfast %s\n\nA desktop AI chat app whose answers never get lost.\n\nData folder: %s\nLogs: %s",
		c.version, c.home, logDir(c.home))
	return c.ui.Message(ctx, InfoMessage, "About Holdfast", text)
}

func (c *Core) openDataFolder(ctx context.Context) error {
	return c.openFolder(ctx, c.home)
}

func (c *Core) openLogs(ctx context.Context) error {
	return c.openFolder(ctx, logDir(c.home))
}

func (c *Core) openFolder(ctx context.Context, dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	if err := c.ui.OpenPath(ctx, dir); err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	return nil
}

// report shows an action's error in the window and logs it.
func (c *Core) report(ctx context.Context, title string, err error) {
	if err == nil || errors.Is(err, context.Canceled) {
		return
	}
	c.log.Error(title, "err", err)
	if mErr := c.ui.Message(ctx, ErrorMessage, title, err.Error()); mErr != nil {
		c.log.Error("could not show an error dialog", "err", mErr)
	}
}

// streamStatus is what the page reports about its stream.
type streamStatus struct {
	state  string // connecting|live|reconnecting|offline|failed|closed
	reason string // why it is not live, when the page says
}

// streamState reads the page's stream-status event: the state as a
// string, or the stream client's status object {"state": "live", …}.
func streamState(data []any) streamStatus {
	if len(data) == 0 {
		return streamStatus{}
	}
	if m, ok := data[0].(map[string]any); ok {
		var st streamStatus
		st.state, _ = m["state"].(string)
		st.reason, _ = m["reason"].(string)
		return st
	}
	return streamStatus{state: firstString(data)}
}

func firstString(data []any) string {
	if len(data) == 0 {
		return ""
	}
	s, _ := data[0].(string)
	return s
}

func logDir(home string) string { return filepath.Join(home, "logs") }

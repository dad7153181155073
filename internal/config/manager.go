package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce is how long the watcher waits after the last event on
// config.toml before it reads the file: editors write in several steps
// (truncate, write, rename), and only the end result should apply.
const DefaultDebounce = 150 * time.Millisecond

// ErrClosed is returned by Manager methods called after Close.
var ErrClosed = errors.New("config manager is closed")

// Options tune a Manager.
type Options struct {
	Logger   *slog.Logger  // nil: discard
	Debounce time.Duration // 0: DefaultDebounce
}

// Manager owns config.toml in one folder: it loads it (writing a default
// file on the first run), watches it, applies good versions atomically,
// reports bad ones while the last good configuration stays in force, and
// writes edits atomically. It is safe for concurrent use.
type Manager struct {
	dir      string
	path     string
	log      *slog.Logger
	debounce time.Duration

	// fileMu serialises reading-and-applying the file (the watcher) with
	// Update's read-modify-write, so neither applies a stale version.
	fileMu sync.Mutex

	mu       sync.Mutex
	cfg      Config
	err      error
	warns    []Problem
	seen     []byte // content last processed, applied or not
	seenKind seenKind
	subs     map[int]chan Change
	nextSub  int
	loaded   bool
	closed   bool

	watcher *fsnotify.Watcher
	done    chan struct{}
	wg      sync.WaitGroup
}

type seenKind int

const (
	seenNothing seenKind = iota
	seenContent
	seenMissing
)

// New returns a Manager for config.toml in dir. Nothing happens on disk
// until Load.
func New(dir string, opts Options) *Manager {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	return &Manager{
		dir:      dir,
		path:     filepath.Join(dir, FileName),
		log:      opts.Logger,
		debounce: opts.Debounce,
		cfg:      Default(),
		subs:     map[int]chan Change{},
		done:     make(chan struct{}),
	}
}

// Path returns the path of config.toml.
func (m *Manager) Path() string { return m.path }

// Load reads config.toml, writing a default one (mode 0600, with comments)
// if it is missing or empty, and starts watching it. A file that exists but
// is invalid does not fail Load: the defaults apply, Err reports the
// problem, and fixing the file applies it. Load fails only when the folder
// or the file cannot be used at all, or the watcher cannot start.
func (m *Manager) Load(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("load config: %w", err)
	}
	m.mu.Lock()
	switch {
	case m.closed:
		m.mu.Unlock()
		return fmt.Errorf("load config: %w", ErrClosed)
	case m.loaded:
		m.mu.Unlock()
		return errors.New("load config: already loaded")
	}
	m.loaded = true
	m.mu.Unlock()

	w, err := m.start()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil && m.closed { // Close ran meanwhile
		w.Close()
		err = ErrClosed
	}
	if err != nil {
		m.loaded = false // a later Load may try again
		return fmt.Errorf("load config: %w", err)
	}
	m.watcher = w
	m.wg.Add(1)
	go m.watch(w)
	return nil
}

// start makes the folder, starts watching it and reads the file.
func (m *Manager) start() (*fsnotify.Watcher, error) {
	if err := os.MkdirAll(m.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	// Watch before reading, so a change made in between is not missed.
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("start watcher: %w", err)
	}
	if err := w.Add(m.dir); err != nil {
		w.Close()
		return nil, fmt.Errorf("watch %s: %w", m.dir, err)
	}
	m.fileMu.Lock()
	err = m.loadFile()
	m.fileMu.Unlock()
	if err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// loadFile is Load's first read. Callers hold fileMu.
func (m *Manager) loadFile() error {
	data, err := readFile(m.path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(data) == 0) {
		data = render(Default())
		if err := writeAtomic(m.path, data); err != nil {
			return fmt.Errorf("write default %s: %w", FileName, err)
		}
		m.log.Info("wrote default configuration", "file", m.path)
	} else if err != nil {
		return err
	}
	cfg, warns, perr := parse(m.path, data)
	if perr != nil {
		m.mu.Lock()
		m.err, m.seen, m.seenKind = perr, data, seenContent
		m.mu.Unlock()
		m.log.Warn("config.toml is invalid; using the defaults until it is fixed", "err", perr)
		return nil
	}
	m.apply(cfg, m.withFileWarnings(cfg, warns), data, false)
	return nil
}

// watch runs until Close: it debounces events on config.toml and reloads.
func (m *Manager) watch(w *fsnotify.Watcher) {
	defer m.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-m.done:
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			// Temporary files (ours and editors') are ignored; the rename
			// onto config.toml is the event that counts.
			if filepath.Base(ev.Name) != FileName || ev.Op == fsnotify.Chmod {
				continue
			}
			timer.Reset(m.debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			// Typically a queue overflow: events were lost, so read again.
			m.log.Warn("config watcher error", "err", err)
			timer.Reset(m.debounce)
		case <-timer.C:
			m.reload()
		}
	}
}

// reload reads config.toml and applies it, or reports why it cannot.
func (m *Manager) reload() {
	m.fileMu.Lock()
	defer m.fileMu.Unlock()
	data, err := readFile(m.path)
	m.mu.Lock()
	unchanged := (errors.Is(err, fs.ErrNotExist) && m.seenKind == seenMissing) ||
		(err == nil && m.seenKind == seenContent && bytes.Equal(data, m.seen))
	closed := m.closed
	m.mu.Unlock()
	if unchanged || closed {
		return
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		m.fail(problem(m.path, err, "config.toml was removed; using the last good configuration (the next start writes a default file)"), nil, seenMissing)
	case err != nil:
		m.fail(problem(m.path, err, fmt.Sprintf("cannot read config.toml: %v; using the last good configuration", err)), nil, seenNothing)
	case len(data) == 0:
		// Usually a save caught half-way (truncate, then write); the next
		// event brings the content.
		m.fail(problem(m.path, nil, "config.toml is empty; using the last good configuration"), data, seenContent)
	default:
		cfg, warns, perr := parse(m.path, data)
		if perr != nil {
			m.fail(perr, data, seenContent)
			return
		}
		m.apply(cfg, m.withFileWarnings(cfg, warns), data, true)
	}
}

func problem(file string, cause error, msg string) *Error {
	return &Error{File: file, Problems: []Problem{{Message: msg}}, err: cause}
}

// apply puts cfg in force and tells subscribers.
func (m *Manager) apply(cfg Config, warns []Problem, data []byte, notify bool) {
	m.mu.Lock()
	prev := m.cfg
	m.cfg, m.err, m.warns = cfg, nil, warns
	m.seen, m.seenKind = data, seenContent
	if notify {
		m.publish(Change{Config: cfg, Previous: prev, Warnings: warns})
	}
	m.mu.Unlock()
	attrs := []any{"file", m.path, "config", cfg}
	for _, w := range warns {
		attrs = append(attrs, "warning", w.String())
	}
	m.log.Info("configuration applied", attrs...)
}

// fail records that the file cannot be used; the configuration in force
// stays.
func (m *Manager) fail(err error, data []byte, kind seenKind) {
	m.mu.Lock()
	m.err = err
	m.seen, m.seenKind = data, kind
	m.publish(Change{Config: m.cfg, Previous: m.cfg, Err: err, Warnings: m.warns})
	m.mu.Unlock()
	m.log.Warn("configuration not applied; the last good one stays in force", "file", m.path, "err", err)
}

// publish hands ch to every subscriber without blocking. A subscriber that
// has not taken its previous change gets the two merged: the newest state,
// with Previous still the state it last saw. Callers hold mu.
func (m *Manager) publish(ch Change) {
	for _, c := range m.subs {
		out := ch
		out.Config, out.Previous = ch.Config.Clone(), ch.Previous.Clone()
		out.Warnings = append([]Problem(nil), ch.Warnings...)
		select {
		case old := <-c:
			out.Previous = old.Previous
		default:
		}
		select {
		case c <- out:
		default: // unreachable: only publish sends, under mu, and the buffer was emptied
		}
	}
}

// withFileWarnings adds a warning when the file holds a key and other users
// can read it (Update always writes 0600; a hand-made file may not be).
func (m *Manager) withFileWarnings(cfg Config, warns []Problem) []Problem {
	if runtime.GOOS == "windows" {
		return warns // permission bits mean nothing there
	}
	hasKey := false
	for _, p := range cfg.Providers {
		hasKey = hasKey || p.APIKey != ""
	}
	if fi, err := os.Stat(m.path); err == nil && hasKey && fi.Mode().Perm()&0o077 != 0 {
		warns = append(warns, Problem{Message: fmt.Sprintf("config.toml holds an API key and other users can read it (mode %04o); make it private with chmod 600", fi.Mode().Perm())})
	}
	return warns
}

// Current returns a copy of the configuration in force.
func (m *Manager) Current() Config {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg.Clone()
}

// Err returns why config.toml on disk is not the configuration in force
// (an *Error, with positions where known), or nil when it is.
func (m *Manager) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// Warnings returns the warnings about the configuration in force.
func (m *Manager) Warnings() []Problem {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Problem(nil), m.warns...)
}

// Subscribe returns a channel that receives a Change whenever the
// configuration in force or the state of the file changes, and a function
// that ends the subscription. Changes never block the manager: a subscriber
// that falls behind gets the latest state, merged (see Change.Previous).
// The channel is closed by cancel or Close. Subscribe before reading
// Current so that no change is missed in between.
func (m *Manager) Subscribe() (<-chan Change, func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := make(chan Change, 1)
	if m.closed {
		close(c)
		return c, func() {}
	}
	id := m.nextSub
	m.nextSub++
	m.subs[id] = c
	return c, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if c, ok := m.subs[id]; ok {
			delete(m.subs, id)
			close(c)
		}
	}
}

// Update edits the configuration and writes config.toml atomically (a
// temporary file in the same folder, synced, then renamed; mode 0600). fn
// gets a copy of the configuration as it is on disk now, so a hand edit not
// yet picked up by the watcher is not lost. If the file on disk is invalid,
// Update refuses (the user's hand edits are never overwritten); if it was
// removed, Update writes it back. The new configuration applies at once
// and subscribers get one Change; the watcher then sees the same content
// and does nothing more.
func (m *Manager) Update(ctx context.Context, fn func(*Config) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("update config: %w", err)
	}
	m.fileMu.Lock()
	defer m.fileMu.Unlock()
	m.mu.Lock()
	loaded, closed := m.loaded, m.closed
	m.mu.Unlock()
	switch {
	case closed:
		return fmt.Errorf("update config: %w", ErrClosed)
	case !loaded:
		return errors.New("update config: Load has not been called")
	}

	data, err := readFile(m.path)
	var base Config
	switch {
	case errors.Is(err, fs.ErrNotExist), err == nil && len(data) == 0:
		base = m.Current()
	case err != nil:
		return fmt.Errorf("update config: %w", err)
	default:
		var perr error
		if base, _, perr = parse(m.path, data); perr != nil {
			return fmt.Errorf("update config: fix config.toml first: %w", perr)
		}
	}

	next := base.Clone()
	if err := fn(&next); err != nil {
		return fmt.Errorf("update config: %w", err)
	}
	normalize(&next)
	if errs, _ := validate(next); len(errs) > 0 {
		return fmt.Errorf("update config: %w", &Error{Problems: errs})
	}
	out := render(next)
	// Read back what will be written: it must load as exactly this.
	cfg, warns, perr := parse(m.path, out)
	if perr != nil {
		return fmt.Errorf("update config: the written file would not load: %w", perr)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("update config: %w", err)
	}
	if err := writeAtomic(m.path, out); err != nil {
		return fmt.Errorf("update config: %w", err)
	}
	m.apply(cfg, warns, out, true)
	return nil
}

// Close stops watching and closes every subscription. It waits for the
// watcher goroutine to end. Calling it again does nothing.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	close(m.done)
	w := m.watcher
	m.mu.Unlock()

	m.wg.Wait()
	var err error
	if w != nil {
		if err = w.Close(); err != nil {
			err = fmt.Errorf("close config watcher: %w", err)
		}
	}
	m.mu.Lock()
	for id, c := range m.subs {
		delete(m.subs, id)
		close(c)
	}
	m.mu.Unlock()
	return err
}

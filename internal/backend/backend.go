// Package backend constructs Holdfast's parts in one place (store, event
// log, providers, chat service, HTTP server) and owns their lifecycle, so
// `holdfast serve` and the desktop app run exactly the same thing.
package backend

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/holdfast-chat/holdfast/internal/attach"
	"github.com/holdfast-chat/holdfast/internal/chat"
	"github.com/holdfast-chat/holdfast/internal/config"
	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/export"
	"github.com/holdfast-chat/holdfast/internal/importjob"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/lockfile"
	"github.com/holdfast-chat/holdfast/internal/providers"
	"github.com/holdfast-chat/holdfast/internal/search"
	"github.com/holdfast-chat/holdfast/internal/server"
	"github.com/holdfast-chat/holdfast/internal/settings"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// Options configure a Backend.
type Options struct {
	Home string // data folder
	// Addr is the listen address ("127.0.0.1:0" picks a free port). ""
	// means server.addr from config.toml, followed when the file changes;
	// an explicit address wins over the file.
	Addr    string
	Token   string  // "" = load or create <Home>/token
	DemoTPS float64 // demo provider tokens per second (0 = default)
	// Heartbeat is the SSE heartbeat; 0 means server.heartbeat from
	// config.toml (15s by default), followed when the file changes.
	Heartbeat time.Duration
	Version   string
	Static    fs.FS // the web front end served at "/" (nil = none)
	Logger    *slog.Logger
	Retention eventlog.Retention // zero = defaults
	// Discover lists where to look for local servers (Ollama, LM Studio)
	// at start-up and on demand: nil means llm.DefaultCandidates(), an
	// empty list turns discovery off.
	Discover []llm.Candidate
	// Storage says how storage faults are waited out; zero values mean
	// the defaults.
	Storage StorageOptions
}

// StorageOptions say how long writes wait out a storage fault.
type StorageOptions struct {
	// BusyTimeout is how long one write waits for another program's lock
	// (store.DefaultBusyTimeout).
	BusyTimeout time.Duration
	// Wait is how long a generation keeps retrying its chunks while the
	// database cannot be written (chat.DefaultStorageWait).
	Wait time.Duration
	// ChunkBuffer is how many bytes of chunks a generation holds while
	// they wait (chat.DefaultChunkBuffer).
	ChunkBuffer int
	// ProbeEvery is how often the event log tries a tiny write while a
	// fault is on, to see it clear (1s).
	ProbeEvery time.Duration
}

// MinTokenLength is the shortest API token accepted: a short token can be
// guessed by any local program that can reach the port.
const MinTokenLength = 16

// DefaultHome is $HOLDFAST_HOME, else the OS user config dir + "holdfast".
func DefaultHome() (string, error) {
	if h := os.Getenv("HOLDFAST_HOME"); h != "" {
		return filepath.Abs(h)
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user config folder (set HOLDFAST_HOME): %w", err)
	}
	return filepath.Join(dir, "holdfast"), nil
}

// OptionsFromEnv reads HOLDFAST_TOKEN, HOLDFAST_DEMO_TPS and
// HOLDFAST_HEARTBEAT on top of defaults for home. The address is left to
// config.toml.
func OptionsFromEnv(home string) (Options, error) {
	o := Options{Home: home, Token: os.Getenv("HOLDFAST_TOKEN")}
	if o.Token != "" {
		if err := checkToken(o.Token); err != nil {
			return o, fmt.Errorf("HOLDFAST_TOKEN: %w (or unset it to use the token stored in the data folder)", err)
		}
	}
	if v := os.Getenv("HOLDFAST_DEMO_TPS"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return o, fmt.Errorf("HOLDFAST_DEMO_TPS=%q: want a positive number of tokens per second", v)
		}
		o.DemoTPS = f
	}
	if v := os.Getenv("HOLDFAST_HEARTBEAT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond {
			return o, fmt.Errorf("HOLDFAST_HEARTBEAT=%q: want a duration of at least 100ms, like 15s", v)
		}
		o.Heartbeat = d
	}
	return o, nil
}

// Backend is a running Holdfast core.
type Backend struct {
	// Set by Open and never changed; each is safe for concurrent use.
	opts      Options
	log       *slog.Logger
	store     *store.Store
	events    *eventlog.Log
	chat      *chat.Service
	providers *providers.Registry
	settings  *settings.Service
	// attachments holds uploaded files (<Home>/attachments).
	attachments *attach.Service
	files       *attach.Files
	config      *config.Manager
	keys        *config.Keys
	token       string
	unlock      func() // releases the data-folder lock; called once, by closeCore
	imports     *importjob.Manager
	// indexer indexes imported messages for search after the import.
	indexer *search.Indexer

	// Background work (following config.toml, looking for local
	// servers); set by Open, closeCore cancels and waits for it.
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bg       sync.WaitGroup

	// listenProblem is set while server.addr cannot be listened on.
	// Written with mu held (moveServer), read without it.
	listenProblem atomic.Pointer[config.Problem]

	// mu guards the HTTP server's lifecycle: starting, stopping, moving,
	// restarting and closing are one at a time.
	mu       sync.Mutex
	closing  bool           // guarded by mu; set by Close, never cleared
	srv      *server.Server // guarded by mu; nil while not serving
	httpSrv  *http.Server   // guarded by mu; nil while not serving
	listener net.Listener   // guarded by mu; nil while not serving
	serveErr chan error     // guarded by mu; Serve's result for stopLocked

	// The retention loop; set by Open, used by closeCore.
	stopRetention context.CancelFunc
	retentionDone chan struct{}
}

// Open opens the data folder and the database, and recovers generations a
// crash interrupted. It does not listen yet: call Start.
func Open(ctx context.Context, opts Options) (*Backend, error) {
	if opts.Home == "" {
		return nil, errors.New("open backend: no data folder")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Retention == (eventlog.Retention{}) {
		opts.Retention = eventlog.Retention{MaxAge: 30 * 24 * time.Hour, MaxEvents: 2_000_000}
	}
	if opts.Discover == nil {
		opts.Discover = llm.DefaultCandidates()
	}
	if opts.Addr != "" {
		if err := checkLoopback(opts.Addr); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(opts.Home, "logs"), 0o700); err != nil {
		return nil, fmt.Errorf("create data folder %s: %w", opts.Home, err)
	}
	// One process per data folder: two writers would hand out the same
	// event seqs and each "recover" the other's live answers.
	unlock, err := lockfile.Acquire(filepath.Join(opts.Home, "holdfast.lock"))
	if errors.Is(err, lockfile.ErrLocked) {
		return nil, fmt.Errorf("%w: %s", ErrHomeInUse, opts.Home)
	}
	if err != nil {
		return nil, err
	}
	token, err := loadToken(opts.Home, opts.Token)
	if err != nil {
		unlock()
		return nil, err
	}
	st, err := store.Open(ctx, DatabasePath(opts.Home), store.Options{BusyTimeout: opts.Storage.BusyTimeout})
	if err != nil {
		unlock()
		return nil, err
	}
	ev, err := eventlog.Open(ctx, st, eventlog.Options{Logger: opts.Logger, ProbeEvery: opts.Storage.ProbeEvery})
	if err != nil {
		st.Close()
		unlock()
		return nil, err
	}
	b := &Backend{opts: opts, log: opts.Logger, store: st, events: ev, token: token, unlock: unlock}
	b.bgCtx, b.bgCancel = context.WithCancel(context.Background())
	changes, err := b.openConfig(ctx)
	if err != nil {
		b.closeCore(ctx)
		return nil, err
	}
	files, err := attach.OpenFiles(AttachmentsPath(opts.Home))
	if err != nil {
		b.closeCore(ctx)
		return nil, err
	}
	files.ClearTemp() // this process holds the folder's lock
	b.files = files
	b.attachments = attach.NewService(files, ev, st, 0, opts.Logger)
	b.chat = chat.New(ev, st, b.providers, b.systemPrompt, opts.Logger,
		chat.WithStorageWait(opts.Storage.Wait), chat.WithChunkBuffer(opts.Storage.ChunkBuffer),
		chat.WithAttachments(b.attachments))
	cont, intr, err := b.chat.Recover(ctx)
	if err != nil {
		b.closeCore(ctx)
		return nil, err
	}
	// Messages an import (or an import the last run did not finish
	// indexing) queued for the search index.
	b.indexer = search.NewIndexer(st, search.IndexerOptions{Logger: opts.Logger})
	b.bg.Go(func() { b.indexer.Run(b.bgCtx) })
	b.imports = b.newImports()
	b.startFollowing(ctx, changes)
	if cont+intr > 0 {
		opts.Logger.Info("recovered interrupted answers", "continued", cont, "interrupted", intr)
	}
	rctx, cancel := context.WithCancel(context.Background())
	b.stopRetention, b.retentionDone = cancel, make(chan struct{})
	go b.retentionLoop(rctx)
	return b, nil
}

var _ export.Files = (*attach.Files)(nil)

// ErrHomeInUse means another Holdfast process has the data folder open.
var ErrHomeInUse = errors.New("another Holdfast is already using this data folder")

// AttachmentsPath is the folder attached files live in.
func AttachmentsPath(home string) string { return filepath.Join(home, "attachments") }

// DatabasePath is the database file in a data folder.
func DatabasePath(home string) string { return filepath.Join(home, "holdfast.db") }

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q: Holdfast only listens on loopback (127.0.0.1)", addr)
	}
	return nil
}

// checkToken refuses a token that is easy to guess or cannot travel in a
// header and a URL fragment as it is.
func checkToken(t string) error {
	if len(t) < MinTokenLength {
		return fmt.Errorf("the API token is %d characters; use at least %d", len(t), MinTokenLength)
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c <= ' ' || c > '~' {
			return errors.New("the API token may only hold printable ASCII characters, no spaces")
		}
	}
	return nil
}

// loadToken returns the explicit token, else the stored one, else a new
// one written with mode 0600.
func loadToken(home, explicit string) (string, error) {
	if explicit != "" {
		if err := checkToken(explicit); err != nil {
			return "", err
		}
		return explicit, nil
	}
	path := filepath.Join(home, "token")
	if b, err := os.ReadFile(path); err == nil {
		if t := strings.TrimSpace(string(b)); len(t) >= 16 {
			return t, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read token %s: %w", path, err)
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("make token: %w", err)
	}
	t := hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(t+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write token %s: %w", path, err)
	}
	return t, nil
}

// Token is the API token.
func (b *Backend) Token() string { return b.token }

// Home is the data folder.
func (b *Backend) Home() string { return b.opts.Home }

// Store is the database (for exports).
func (b *Backend) Store() *store.Store { return b.store }

// Files is the attachments folder (for exports).
func (b *Backend) Files() *attach.Files { return b.files }

// Attachments stores uploads (the desktop app's file dialog stores
// picked files through it, like the upload endpoint).
func (b *Backend) Attachments() *attach.Service { return b.attachments }

// Close sends `shutdown` to streams, stops generations (their text is kept,
// they end interrupted), and closes the database.
func (b *Backend) Close(ctx context.Context) error {
	b.mu.Lock()
	b.closing = true
	err := b.stopLocked(ctx, "server shutting down", 2*time.Second)
	b.mu.Unlock()
	return errors.Join(err, b.closeCore(ctx))
}

func (b *Backend) closeCore(ctx context.Context) error {
	var errs []error
	if b.stopRetention != nil {
		b.stopRetention()
		<-b.retentionDone
	}
	b.bgCancel()
	if b.config != nil {
		errs = append(errs, b.config.Close()) // ends the subscription the follower reads
	}
	b.bg.Wait()
	if b.imports != nil {
		b.imports.Close() // what it stored stays, each chat whole
	}
	if b.chat != nil {
		errs = append(errs, b.chat.Close(ctx))
	}
	errs = append(errs, b.events.Close())
	errs = append(errs, b.store.Close())
	b.unlock()
	return errors.Join(errs...)
}

// retentionLoop trims the event log's prefix now and then.
func (b *Backend) retentionLoop(ctx context.Context) {
	defer close(b.retentionDone)
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if n, err := b.events.ApplyRetention(ctx, b.opts.Retention); err != nil && ctx.Err() == nil {
			b.log.Warn("event retention failed", "err", err)
		} else if n > 0 {
			b.log.Info("trimmed old events", "count", n)
		}
		// Files nobody sent within their lease, and files a crash left
		// without a row.
		if _, err := b.attachments.Sweep(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("attachment sweep failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

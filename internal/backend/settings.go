package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"time"

	"github.com/holdfast-chat/holdfast/internal/chat"
	"github.com/holdfast-chat/holdfast/internal/config"
	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/server"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// Events the backend appends when the configuration changes, so every
// window learns it over its stream.
const (
	// EventConfigChanged: data ConfigChanged.
	EventConfigChanged = "config.changed"
	// EventConfigError: data server.ConfigError. The last good
	// configuration stays in force.
	EventConfigError = "config.error"
)

// ConfigChanged is the data of a config.changed event.
type ConfigChanged struct {
	Config   config.Config    `json:"config"` // API keys left out
	Warnings []config.Problem `json:"warnings"`
}

// openConfig loads config.toml (writing the commented default on the first
// run), sets up the keys and builds the providers it names. A file that
// cannot be used is reported, not fatal: the defaults apply until it is
// fixed. It returns the subscription startFollowing reads.
func (b *Backend) openConfig(ctx context.Context) (<-chan config.Change, error) {
	b.config = config.New(b.opts.Home, config.Options{Logger: b.log})
	b.keys = config.NewKeys(b.config, config.SystemKeychain(), config.KeysOptions{})
	b.providers = NewProviders(b.opts.DemoTPS, b.keys, b.log)
	// Subscribe first: a change between Load and the follower is not missed.
	changes, _ := b.config.Subscribe()
	if err := b.config.Load(ctx); err != nil {
		return nil, err
	}
	if err := b.config.Err(); err != nil {
		b.log.Warn("config.toml has errors; using the defaults until it is fixed", "err", err)
	}
	if err := b.providers.Apply(ctx, b.config.Current()); err != nil {
		return nil, fmt.Errorf("set up providers: %w", err)
	}
	if b.opts.Addr != "" && b.opts.Addr != b.config.Current().Server.Addr {
		b.log.Info("listen address given explicitly; server.addr in config.toml is not used", "addr", b.opts.Addr)
	}
	return changes, nil
}

// startFollowing reports the configuration's state as an event (a window
// resuming its stream after a restart learns what changed meanwhile),
// starts following config.toml, and looks for local servers in the
// background so start-up never waits on them.
func (b *Backend) startFollowing(ctx context.Context, changes <-chan config.Change) {
	if err := b.config.Err(); err != nil {
		b.appendConfigEvent(ctx, EventConfigError, server.NewConfigError(b.config.Path(), err))
	} else {
		b.appendConfigEvent(ctx, EventConfigChanged, b.configChanged(b.config.Current(), b.config.Warnings()))
	}
	b.bg.Go(func() {
		for c := range changes {
			b.applyChange(b.bgCtx, c)
		}
	})
	if len(b.opts.Discover) > 0 {
		b.bg.Go(func() { b.discover(b.bgCtx) })
	}
}

// applyChange puts a change of config.toml into effect and tells the
// windows: new providers, a new listen address or heartbeat, an event.
func (b *Backend) applyChange(ctx context.Context, c config.Change) {
	changed := !reflect.DeepEqual(c.Config, c.Previous)
	// A good file is applied even when it equals the last one: a key may
	// have changed in the keychain, which the file does not show.
	if c.Err == nil || changed {
		// Current, not c.Config: an API edit may have applied a newer one.
		if err := b.providers.Apply(ctx, b.config.Current()); err != nil {
			b.log.Error("apply providers", "err", err)
		}
		switch {
		case c.AddrChanged() && b.opts.Addr == "":
			b.moveServer(ctx, c.Config.Server.Addr)
		case c.Config.Server.Heartbeat != c.Previous.Server.Heartbeat && b.opts.Heartbeat == 0:
			b.restartInPlace(ctx, "heartbeat changed")
		}
		b.appendConfigEvent(ctx, EventConfigChanged, b.configChanged(c.Config, c.Warnings))
	}
	if c.Err != nil {
		b.appendConfigEvent(ctx, EventConfigError, server.NewConfigError(b.config.Path(), c.Err))
	}
}

func (b *Backend) configChanged(cfg config.Config, warns []config.Problem) ConfigChanged {
	return ConfigChanged{Config: publicConfig(cfg), Warnings: b.withListenProblem(warns)}
}

// publicConfig is cfg as the front end may see it: no API key at all, not
// even masked (KeyStatus describes keys), so a body sent back unchanged
// holds none.
func publicConfig(cfg config.Config) config.Config {
	out := cfg.Redacted()
	for i := range out.Providers {
		out.Providers[i].APIKey = ""
	}
	return out
}

func (b *Backend) withListenProblem(warns []config.Problem) []config.Problem {
	out := append([]config.Problem{}, warns...)
	if p := b.listenProblem.Load(); p != nil {
		out = append(out, *p)
	}
	return out
}

func (b *Backend) appendConfigEvent(ctx context.Context, typ string, data any) {
	raw, err := json.Marshal(data)
	if err == nil {
		_, err = b.events.Append(ctx, eventlog.Event{Type: eventlog.Type(typ), Data: raw})
	}
	if err != nil && ctx.Err() == nil {
		b.log.Warn("append config event", "type", typ, "err", err)
	}
}

// stopTimeout bounds waiting for requests in flight when the server moves
// or restarts for a configuration change; stragglers are then cut off.
const stopTimeout = 5 * time.Second

// moveServer listens on addr and only then stops the old server, so a
// port that cannot be had leaves the server where it was (with a warning
// for the Settings screen). Windows follow through their resolver.
func (b *Backend) moveServer(ctx context.Context, addr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.httpSrv == nil || b.closing {
		return // not serving: Start uses the new address
	}
	if sameAddr(b.listener.Addr(), addr) {
		b.listenProblem.Store(nil)
		return
	}
	ln, err := b.listenLocked(ctx, addr)
	if err != nil {
		cur := b.listener.Addr().String()
		b.log.Error("server.addr changed but cannot be used; still serving on the old address", "addr", addr, "serving", cur, "err", err)
		b.listenProblem.Store(&config.Problem{Key: "server.addr", Message: fmt.Sprintf("cannot listen on %s (%v); still serving on %s", addr, unwrapNet(err), cur)})
		return
	}
	b.listenProblem.Store(nil)
	sctx, cancel := context.WithTimeout(ctx, stopTimeout)
	defer cancel()
	if err := b.stopLocked(sctx, "server address changed", 500*time.Millisecond); err != nil {
		b.log.Warn("stop the old server", "err", err)
	}
	b.serveLocked(ln)
}

// restartInPlace restarts the server on the port it has, so settings the
// server takes at start (the heartbeat) apply; streams reconnect.
func (b *Backend) restartInPlace(ctx context.Context, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.httpSrv == nil || b.closing {
		return
	}
	cur := b.listener.Addr().String()
	sctx, cancel := context.WithTimeout(ctx, stopTimeout)
	defer cancel()
	if err := b.stopLocked(sctx, reason, 500*time.Millisecond); err != nil {
		b.log.Warn("stop the server", "err", err)
	}
	if err := b.startLocked(ctx, cur); err != nil {
		b.log.Warn("listen again on the same port; trying the configured address", "addr", cur, "err", err)
		if err := b.startLocked(ctx, b.addr()); err != nil {
			b.log.Error("the server could not restart", "err", err)
		}
	}
}

// sameAddr reports whether the listener is already where addr asks for.
func sameAddr(have net.Addr, want string) bool {
	host, port, err := net.SplitHostPort(want)
	if err != nil || port == "0" {
		return false
	}
	h, p, err := net.SplitHostPort(have.String())
	return err == nil && p == port && net.ParseIP(h).Equal(net.ParseIP(host))
}

// unwrapNet keeps the useful end of a listen error ("address already in
// use").
func unwrapNet(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// discover looks for local servers and puts the ones found in use.
func (b *Backend) discover(ctx context.Context) {
	b.discoverMu.Lock()
	defer b.discoverMu.Unlock()
	found := llm.Discover(ctx, b.opts.Discover, llm.DefaultDiscoverTimeout)
	if ctx.Err() != nil {
		return
	}
	names := make([]string, len(found))
	for i, d := range found {
		names[i] = d.Name
	}
	b.log.Info("local servers", "found", strings.Join(names, ","))
	if err := b.providers.SetDiscovered(ctx, found); err != nil {
		b.log.Error("apply local servers", "err", err)
	}
}

// chats gives new chats config.toml's default system prompt when they do
// not set their own.
type chats struct {
	*chat.Service
	config *config.Manager
}

// CreateSession implements server.Chats.
func (c chats) CreateSession(ctx context.Context, title, model, system string) (store.Session, error) {
	if system == "" {
		system = c.config.Current().SystemPrompt
	}
	return c.Service.CreateSession(ctx, title, model, system)
}

// settingsAPI implements server.Settings.
type settingsAPI struct{ b *Backend }

// Settings implements server.Settings.
func (s settingsAPI) Settings(ctx context.Context) (server.SettingsView, error) {
	b := s.b
	cfg := b.config.Current()
	v := server.SettingsView{
		Config:   publicConfig(cfg),
		Warnings: b.withListenProblem(b.config.Warnings()),
		Keys:     make(map[string]config.KeyStatus, len(cfg.Providers)),
		Keychain: server.Keychain{Available: b.keys.Available(ctx), Warning: b.keys.Warning(ctx)},
	}
	if err := b.config.Err(); err != nil {
		v.Error = server.NewConfigError(b.config.Path(), err)
	}
	for _, p := range cfg.Providers {
		v.Keys[p.Name] = b.keys.Status(ctx, p)
	}
	return v, nil
}

// EditConfig implements server.Settings. The change is in use when it
// returns; the follower also sees it and tells the windows.
func (s settingsAPI) EditConfig(ctx context.Context, edit func(*config.Config) error) error {
	if err := s.b.config.Update(ctx, edit); err != nil {
		return err
	}
	return s.b.providers.Apply(ctx, s.b.config.Current())
}

// SetKey implements server.Settings.
func (s settingsAPI) SetKey(ctx context.Context, provider, key string) (config.KeyStatus, error) {
	b := s.b
	key = strings.TrimSpace(key)
	cur := b.config.Current()
	if _, ok := cur.Provider(provider); !ok {
		return config.KeyStatus{}, fmt.Errorf("set API key: %w %q", server.ErrNoProvider, provider)
	}
	// Check the key as config.toml's api_key is checked, which never
	// quotes it in a message.
	probe := cur.Clone()
	for i := range probe.Providers {
		if probe.Providers[i].Name == provider {
			probe.Providers[i].APIKey, probe.Providers[i].APIKeyRef = key, ""
		}
	}
	if err := probe.Validate(); err != nil {
		return config.KeyStatus{}, fmt.Errorf("set API key of %q: %w: %w", provider, server.ErrInvalidSettings, err)
	}
	st, err := b.keys.Set(ctx, provider, key)
	if err != nil {
		return config.KeyStatus{}, keyError(err)
	}
	return st, b.providers.Apply(ctx, b.config.Current())
}

// DeleteKey implements server.Settings.
func (s settingsAPI) DeleteKey(ctx context.Context, provider string) (config.KeyStatus, error) {
	b := s.b
	if _, ok := b.config.Current().Provider(provider); !ok {
		return config.KeyStatus{}, fmt.Errorf("delete API key: %w %q", server.ErrNoProvider, provider)
	}
	if err := b.keys.Delete(ctx, provider); err != nil {
		return config.KeyStatus{}, keyError(err)
	}
	if err := b.providers.Apply(ctx, b.config.Current()); err != nil {
		return config.KeyStatus{}, err
	}
	p, _ := b.config.Current().Provider(provider)
	return b.keys.Status(ctx, p), nil
}

// keyError marks a failure to store a key, unless the file itself is the
// problem (a broken config.toml, which the user must fix first).
func keyError(err error) error {
	var ce *config.Error
	if errors.As(err, &ce) || errors.Is(err, config.ErrClosed) {
		return err
	}
	return fmt.Errorf("%w: %w", server.ErrKeyNotSaved, err)
}

// Discover implements server.Settings.
func (s settingsAPI) Discover(ctx context.Context) ([]server.LocalServer, error) {
	s.b.discover(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.b.providers.LocalServers(), nil
}

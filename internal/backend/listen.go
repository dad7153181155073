package backend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/holdfast-chat/holdfast/internal/chat"
	"github.com/holdfast-chat/holdfast/internal/config"
	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/export"
	"github.com/holdfast-chat/holdfast/internal/search"
	"github.com/holdfast-chat/holdfast/internal/server"
	"github.com/holdfast-chat/holdfast/internal/settings"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// This file is the HTTP server's lifecycle: listen, serve, stop, restart,
// and move when config.toml asks for another address or heartbeat.

var (
	_ server.Chats     = (*chat.Service)(nil)
	_ server.Snapshots = (*store.Store)(nil)
	_ server.Exporter  = export.Service{}
	_ server.Searcher  = search.Service{}
	_ server.Events    = (*eventlog.Log)(nil)
)

// Start listens on the configured loopback address and serves.
func (b *Backend) Start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.startLocked(ctx, b.addr())
}

// addr is where to listen: the explicit address, else config.toml's.
func (b *Backend) addr() string {
	if b.opts.Addr != "" {
		return b.opts.Addr
	}
	return b.config.Current().Server.Addr
}

// heartbeat is the SSE heartbeat: the explicit one, else config.toml's.
func (b *Backend) heartbeat() time.Duration {
	if b.opts.Heartbeat > 0 {
		return b.opts.Heartbeat
	}
	return b.config.Current().Server.Heartbeat.D()
}

func (b *Backend) startLocked(ctx context.Context, addr string) error {
	ln, err := b.listenLocked(ctx, addr)
	if err != nil {
		return err
	}
	b.serveLocked(ln)
	return nil
}

func (b *Backend) listenLocked(ctx context.Context, addr string) (net.Listener, error) {
	if b.closing {
		return nil, errors.New("listen: the backend is closed")
	}
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

func (b *Backend) serveLocked(ln net.Listener) {
	b.srv = server.New(server.Config{
		Token:     b.token,
		Version:   b.opts.Version,
		Heartbeat: b.heartbeat(),
		Static:    b.opts.Static,
		Logger:    b.log,
		Events:    b.events,
		Chats:     b.chat,
		Snapshots: b.store,
		Models:    b.providers,
		Providers: b.providers,
		Exporter:  export.Service{Src: b.store, AppVersion: b.opts.Version, Files: b.files},
		Search:    search.Service{Store: b.store},
		Settings:  b.settings,

		Attachments: b.attachments,
		Imports:     b.imports,
	})
	b.httpSrv = &http.Server{
		Handler:           b.srv,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(b.log.Handler(), slog.LevelWarn),
	}
	b.listener = ln
	b.serveErr = make(chan error, 1)
	go func(hs *http.Server, errc chan error) {
		err := hs.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		errc <- err
	}(b.httpSrv, b.serveErr)
	b.log.Info("listening", "url", "http://"+ln.Addr().String())
}

// stopLocked sends `shutdown` on every stream and stops the HTTP server.
func (b *Backend) stopLocked(ctx context.Context, reason string, retry time.Duration) error {
	if b.httpSrv == nil {
		return nil
	}
	b.srv.Close(ctx, reason, retry)
	err := b.httpSrv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, b.httpSrv.Close())
	}
	<-b.serveErr
	b.httpSrv, b.srv, b.listener = nil, nil, nil
	if err != nil {
		return fmt.Errorf("stop http server: %w", err)
	}
	return nil
}

// RestartServer stops the HTTP server and listens again — on the same
// port when it was fixed, else on a new free one. Generations keep
// running; windows reconnect through their resolver.
func (b *Backend) RestartServer(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.stopLocked(ctx, "restart", 500*time.Millisecond); err != nil {
		return err
	}
	return b.startLocked(ctx, b.addr())
}

// BaseURL is "http://127.0.0.1:PORT", or "" before Start.
func (b *Backend) BaseURL() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.listener == nil {
		return ""
	}
	return "http://" + b.listener.Addr().String()
}

// stopTimeout bounds waiting for requests in flight when the server moves
// or restarts for a configuration change; stragglers are then cut off.
const stopTimeout = 5 * time.Second

// configuredServer is the server as config.toml drives it; the settings
// follower calls it on every change.
type configuredServer struct{ b *Backend }

var _ settings.Server = configuredServer{}

// ApplyChange moves the server to a new server.addr or restarts it for a
// new server.heartbeat. An address or heartbeat given explicitly wins over
// the file's.
func (s configuredServer) ApplyChange(ctx context.Context, c config.Change) {
	switch {
	case c.AddrChanged() && s.b.opts.Addr == "":
		s.b.moveServer(ctx, c.Config.Server.Addr)
	case c.Config.Server.Heartbeat != c.Previous.Server.Heartbeat && s.b.opts.Heartbeat == 0:
		s.b.restartInPlace(ctx, "heartbeat changed")
	}
}

// ListenProblem says why the server is not on server.addr; nil when it is.
func (s configuredServer) ListenProblem() *config.Problem { return s.b.listenProblem.Load() }

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

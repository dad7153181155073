// Package settings keeps config.toml in force while Holdfast runs: it
// follows the file (each change goes to the providers and the HTTP server,
// and every window hears of it through a config.changed or config.error
// event) and serves the Settings API that reads and edits the
// configuration and the providers' API keys.
package settings

import (
	"context"
	"encoding/json"
	"log/slog"
	"reflect"

	"github.com/holdfast-chat/holdfast/internal/config"
	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/server"
)

// Events this package appends when the configuration changes, so every
// window learns it over its stream.
const (
	// EventConfigChanged: data ConfigChanged.
	EventConfigChanged = "config.changed"
	// EventConfigError: data config.ErrorReport. The last good
	// configuration stays in force.
	EventConfigError = "config.error"
)

// ConfigChanged is the data of a config.changed event.
type ConfigChanged struct {
	Config   config.Config    `json:"config"` // API keys left out
	Warnings []config.Problem `json:"warnings"`
}

// Providers is the live provider set (*providers.Registry).
type Providers interface {
	// Apply makes cfg's providers and default model the ones in use.
	Apply(ctx context.Context, cfg config.Config) error
	// Discover looks for local servers now and puts the ones found in use.
	Discover(ctx context.Context)
	// LocalServers describes the local servers last found.
	LocalServers() []server.LocalServer
}

// Server is the HTTP server's side of a configuration change (the
// backend, which owns the server's lifecycle).
type Server interface {
	// ApplyChange moves the server to a new server.addr, or restarts it
	// for a new server.heartbeat, unless those were given explicitly.
	ApplyChange(ctx context.Context, c config.Change)
	// ListenProblem says why the server is not on server.addr; nil when
	// it is.
	ListenProblem() *config.Problem
}

// Events is the slice of the event log the windows hear changes through.
type Events interface {
	Append(ctx context.Context, events ...eventlog.Event) ([]*eventlog.Record, error)
}

// Service follows config.toml and serves the Settings API. Its fields are
// set by New and never change; it is safe for concurrent use.
type Service struct {
	config    *config.Manager
	keys      *config.Keys
	providers Providers
	server    Server
	events    Events
	log       *slog.Logger
}

var _ server.Settings = (*Service)(nil)

// New makes a Service. The providers should already have cfg's current
// configuration applied.
func New(cfg *config.Manager, keys *config.Keys, providers Providers, srv Server, events Events, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{config: cfg, keys: keys, providers: providers, server: srv, events: events, log: log}
}

// Announce appends the configuration's state as an event, so a window
// resuming its stream after a restart learns what changed meanwhile.
func (s *Service) Announce(ctx context.Context) {
	if err := s.config.Err(); err != nil {
		s.publishError(ctx, err)
	} else {
		s.publishChanged(ctx, s.config.Current(), s.config.Warnings())
	}
}

// Follow puts each change of config.toml into effect until changes is
// closed (the config.Manager closing ends its subscriptions).
func (s *Service) Follow(ctx context.Context, changes <-chan config.Change) {
	for c := range changes {
		s.applyChange(ctx, c)
	}
}

// applyChange puts a change of config.toml into effect and tells the
// windows: new providers, a new listen address or heartbeat, an event.
func (s *Service) applyChange(ctx context.Context, c config.Change) {
	changed := !reflect.DeepEqual(c.Config, c.Previous)
	// A good file is applied even when it equals the last one: a key may
	// have changed in the keychain, which the file does not show.
	if c.Err == nil || changed {
		// Current, not c.Config: an API edit may have applied a newer one.
		if err := s.providers.Apply(ctx, s.config.Current()); err != nil {
			s.log.Error("apply providers", "err", err)
		}
		s.server.ApplyChange(ctx, c)
		s.publishChanged(ctx, c.Config, c.Warnings)
	}
	if c.Err != nil {
		s.publishError(ctx, c.Err)
	}
}

func (s *Service) publishChanged(ctx context.Context, cfg config.Config, warns []config.Problem) {
	s.append(ctx, eventlog.Event{Type: EventConfigChanged}, ConfigChanged{Config: publicConfig(cfg), Warnings: s.warnings(warns)})
}

func (s *Service) publishError(ctx context.Context, err error) {
	s.append(ctx, eventlog.Event{Type: EventConfigError}, config.NewErrorReport(s.config.Path(), err))
}

// append adds ev with data as its JSON. A failure is logged: the windows
// miss one notice, and GET /api/config still tells the truth.
func (s *Service) append(ctx context.Context, ev eventlog.Event, data any) {
	raw, err := json.Marshal(data)
	if err == nil {
		ev.Data = raw
		_, err = s.events.Append(ctx, ev)
	}
	if err != nil && ctx.Err() == nil {
		s.log.Warn("append config event", "type", ev.Type, "err", err)
	}
}

// warnings are the file's warnings and the server's listen problem.
func (s *Service) warnings(warns []config.Problem) []config.Problem {
	out := append([]config.Problem{}, warns...)
	if p := s.server.ListenProblem(); p != nil {
		out = append(out, *p)
	}
	return out
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

// Package providers is the live set of LLM providers Holdfast chats
// with: the built-in demo, the ones config.toml names and the local
// servers (Ollama, LM Studio) found on loopback. It resolves model
// references for the chat service, lists models for GET /api/models, and
// is rebuilt as a whole whenever one of its sources changes.
package providers

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/holdfast-chat/holdfast/internal/chat"
	"github.com/holdfast-chat/holdfast/internal/config"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/server"
)

// modelsTimeout bounds GET /api/models: a provider that has not listed its
// models by then is left out rather than holding up the model picker.
const modelsTimeout = 5 * time.Second

// KeySource finds a configured provider's API key (*config.Keys).
type KeySource interface {
	Get(ctx context.Context, p config.Provider) (string, error)
}

// Registry is the live set of providers. It serves the chat service
// (Resolve, DefaultModel) and GET /api/models (Models).
type Registry struct {
	// Set by New and never changed. reg is safe for concurrent use and
	// swaps its providers atomically, so Resolve and Models take no lock.
	reg        *llm.Registry
	demo       llm.Provider
	keys       KeySource
	candidates []llm.Candidate // where Discover looks
	log        *slog.Logger

	// discoverMu makes Discover one at a time, so the last one wins.
	discoverMu sync.Mutex

	// mu serialises rebuilds and guards the sources they read.
	mu         sync.Mutex
	cfg        config.Config    // guarded by mu
	discovered []llm.Discovered // guarded by mu
}

var (
	_ chat.Providers = (*Registry)(nil)
	_ server.Models  = (*Registry)(nil)
)

// New starts with the built-in demo provider only (demoTPS tokens per
// second, 0 = its default); Apply adds the configured ones and Discover
// the local servers found among candidates.
func New(demoTPS float64, keys KeySource, candidates []llm.Candidate, log *slog.Logger) *Registry {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Registry{reg: llm.NewRegistry(), demo: &llm.Demo{TokensPerSecond: demoTPS}, keys: keys, candidates: candidates, log: log, cfg: config.Default()}
	// Cannot fail: one valid provider and a valid default.
	_ = r.reg.Set([]llm.Provider{r.demo}, config.DefaultModel)
	return r
}

// Resolve finds the provider for a model reference "<provider>/<model>"
// and the provider's own name for the model.
func (r *Registry) Resolve(ref string) (llm.Provider, string, error) { return r.reg.Resolve(ref) }

// DefaultModel is the model reference new chats use.
func (r *Registry) DefaultModel() string { return r.reg.Default() }

// Models lists every provider's models, in provider order, and the
// default model. A provider that cannot list its models is left out (and
// logged) without hiding the others; chatting with it says what is wrong.
func (r *Registry) Models(ctx context.Context) ([]server.ModelInfo, string, error) {
	ctx, cancel := context.WithTimeout(ctx, modelsTimeout)
	defer cancel()
	entries, err := r.reg.Models(ctx)
	if err != nil {
		r.log.Debug("some providers did not list their models", "err", err)
	}
	out := make([]server.ModelInfo, 0, len(entries))
	for _, e := range entries {
		out = append(out, server.ModelInfo{ID: e.ID, Provider: e.Provider, Model: e.Model, Label: e.Label, Demo: e.Demo})
	}
	return out, r.reg.Default(), nil
}

// Apply makes cfg's providers and default model the ones in use.
func (r *Registry) Apply(ctx context.Context, cfg config.Config) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cfg = cfg.Clone()
	return r.rebuildLocked(ctx)
}

// setDiscovered makes found the local servers in use.
func (r *Registry) setDiscovered(ctx context.Context, found []llm.Discovered) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.discovered = append([]llm.Discovered(nil), found...)
	return r.rebuildLocked(ctx)
}

// LocalServers describes the local servers last found, marking those a
// configured provider stands in for.
func (r *Registry) LocalServers() []server.LocalServer {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]server.LocalServer, 0, len(r.discovered))
	for _, d := range r.discovered {
		out = append(out, server.LocalServer{
			Name: d.Name, Kind: d.Kind, BaseURL: d.BaseURL,
			Models: append([]string{}, d.Models...), Configured: configured(r.cfg, d),
		})
	}
	return out
}

// rebuildLocked builds every provider from the sources and swaps them in
// at once. A provider that cannot be built is left out and logged (the
// configuration was validated, so that is rare); a missing key is not
// fatal either: the provider is built without one, and chatting with it
// fails with an error that says to set the key.
func (r *Registry) rebuildLocked(ctx context.Context) error {
	list := []llm.Provider{r.demo}
	names := map[string]bool{llm.DemoName: true}
	add := func(spec llm.Spec) {
		pr, err := llm.NewProvider(spec)
		if err != nil {
			r.log.Warn("provider left out", "provider", spec.Name, "err", err)
			return
		}
		list = append(list, pr)
		names[spec.Name] = true
	}
	retry := llm.RetryPolicy{Logger: r.log}
	for _, cp := range r.cfg.Providers {
		key, err := r.keys.Get(ctx, cp)
		if err != nil {
			r.log.Warn("provider has no usable API key", "provider", cp.Name, "err", err)
		}
		add(llm.Spec{
			Name:     cp.Name,
			Kind:     cp.Kind,
			BaseURL:  cp.BaseURL,
			APIKey:   key,
			Models:   append([]string(nil), cp.Models...),
			Vision:   cp.Vision,
			Defaults: llm.Params{Temperature: cp.Params.Temperature, MaxTokens: cp.Params.MaxTokens},
			Timeouts: llm.Timeouts{Connect: cp.ConnectTimeout.D(), FirstToken: cp.FirstTokenTimeout.D(), Idle: cp.IdleTimeout.D()},
			Retry:    retry,
		})
	}
	for _, d := range r.discovered {
		if configured(r.cfg, d) {
			continue // the user's own entry for this server wins
		}
		spec := d.Spec()
		spec.Retry = retry
		add(spec)
	}
	def := r.cfg.DefaultModel
	if prov, _, ok := config.SplitModelRef(def); !ok || !names[prov] {
		def = config.DefaultModel
	}
	if err := r.reg.Set(list, def); err != nil {
		return err
	}
	inUse := make([]string, len(list))
	for i, pr := range list {
		inUse[i] = pr.Name()
	}
	r.log.Info("providers ready", "providers", strings.Join(inUse, ","), "default", def)
	return nil
}

// configured reports whether cfg has a provider for the local server d:
// one with its name or its address.
func configured(cfg config.Config, d llm.Discovered) bool {
	for _, cp := range cfg.Providers {
		if cp.Name == d.Name || sameEndpoint(cp.Endpoint(), d.BaseURL) {
			return true
		}
	}
	return false
}

// sameEndpoint compares base URLs as a server sees them: "localhost" and
// "127.0.0.1" are one host, a trailing slash changes nothing.
func sameEndpoint(a, b string) bool {
	norm := func(raw string) string {
		u, err := url.Parse(strings.TrimSuffix(raw, "/"))
		if err != nil {
			return raw
		}
		if u.Hostname() == "localhost" {
			port := u.Port()
			u.Host = "127.0.0.1"
			if port != "" {
				u.Host += ":" + port
			}
		}
		return u.String()
	}
	return norm(a) == norm(b)
}

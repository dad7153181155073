package backend

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/holdfast-chat/holdfast/internal/config"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/server"
)

// modelsTimeout bounds GET /api/models: a provider that has not listed its
// models by then is left out rather than holding up the model picker.
const modelsTimeout = 5 * time.Second

// keySource finds a configured provider's API key (*config.Keys).
type keySource interface {
	Get(ctx context.Context, p config.Provider) (string, error)
}

// Providers is the live set of providers: the built-in demo, the ones
// config.toml configures and the local servers found on loopback. It
// serves the chat service (Resolve, DefaultModel) and GET /api/models
// (Models), and is rebuilt as a whole whenever one of its sources changes.
type Providers struct {
	reg  *llm.Registry
	demo llm.Provider
	keys keySource
	log  *slog.Logger

	mu         sync.Mutex // serialises rebuilds; guards the sources below
	cfg        config.Config
	discovered []llm.Discovered
}

// NewProviders starts with the built-in demo provider only; Apply adds the
// configured ones.
func NewProviders(demoTPS float64, keys keySource, log *slog.Logger) *Providers {
	p := &Providers{reg: llm.NewRegistry(), demo: &llm.Demo{TokensPerSecond: demoTPS}, keys: keys, log: log, cfg: config.Default()}
	// Cannot fail: one valid provider and a valid default.
	_ = p.reg.Set([]llm.Provider{p.demo}, config.DefaultModel)
	return p
}

// Resolve implements chat.Providers.
func (p *Providers) Resolve(ref string) (llm.Provider, string, error) { return p.reg.Resolve(ref) }

// DefaultModel implements chat.Providers.
func (p *Providers) DefaultModel() string { return p.reg.Default() }

// Models implements server.Models: every provider's models, in provider
// order. A provider that cannot list its models is left out (and logged)
// without hiding the others; chatting with it says what is wrong.
func (p *Providers) Models(ctx context.Context) ([]server.ModelInfo, string, error) {
	ctx, cancel := context.WithTimeout(ctx, modelsTimeout)
	defer cancel()
	entries, err := p.reg.Models(ctx)
	if err != nil {
		p.log.Debug("some providers did not list their models", "err", err)
	}
	out := make([]server.ModelInfo, 0, len(entries))
	for _, e := range entries {
		out = append(out, server.ModelInfo{ID: e.ID, Provider: e.Provider, Model: e.Model, Label: e.Label, Demo: e.Demo})
	}
	return out, p.reg.Default(), nil
}

// Apply makes cfg's providers and default model the ones in use.
func (p *Providers) Apply(ctx context.Context, cfg config.Config) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg = cfg.Clone()
	return p.rebuildLocked(ctx)
}

// SetDiscovered makes found the local servers in use.
func (p *Providers) SetDiscovered(ctx context.Context, found []llm.Discovered) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.discovered = append([]llm.Discovered(nil), found...)
	return p.rebuildLocked(ctx)
}

// LocalServers describes the local servers last found, marking those a
// configured provider stands in for.
func (p *Providers) LocalServers() []server.LocalServer {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]server.LocalServer, 0, len(p.discovered))
	for _, d := range p.discovered {
		out = append(out, server.LocalServer{
			Name: d.Name, Kind: d.Kind, BaseURL: d.BaseURL,
			Models: append([]string{}, d.Models...), Configured: configured(p.cfg, d),
		})
	}
	return out
}

// rebuildLocked builds every provider from the sources and swaps them in
// at once. A provider that cannot be built is left out and logged (the
// configuration was validated, so that is rare); a missing key is not
// fatal either: the provider is built without one, and chatting with it
// fails with an error that says to set the key.
func (p *Providers) rebuildLocked(ctx context.Context) error {
	list := []llm.Provider{p.demo}
	names := map[string]bool{llm.DemoName: true}
	add := func(spec llm.Spec) {
		pr, err := llm.NewProvider(spec)
		if err != nil {
			p.log.Warn("provider left out", "provider", spec.Name, "err", err)
			return
		}
		list = append(list, pr)
		names[spec.Name] = true
	}
	retry := llm.RetryPolicy{Logger: p.log}
	for _, cp := range p.cfg.Providers {
		key, err := p.keys.Get(ctx, cp)
		if err != nil {
			p.log.Warn("provider has no usable API key", "provider", cp.Name, "err", err)
		}
		add(llm.Spec{
			Name:     cp.Name,
			Kind:     cp.Kind,
			BaseURL:  cp.BaseURL,
			APIKey:   key,
			Models:   append([]string(nil), cp.Models...),
			Defaults: llm.Params{Temperature: cp.Params.Temperature, MaxTokens: cp.Params.MaxTokens},
			Timeouts: llm.Timeouts{Connect: cp.ConnectTimeout.D(), FirstToken: cp.FirstTokenTimeout.D(), Idle: cp.IdleTimeout.D()},
			Retry:    retry,
		})
	}
	for _, d := range p.discovered {
		if configured(p.cfg, d) {
			continue // the user's own entry for this server wins
		}
		spec := d.Spec()
		spec.Retry = retry
		add(spec)
	}
	def := p.cfg.DefaultModel
	if prov, _, ok := config.SplitModelRef(def); !ok || !names[prov] {
		def = config.DefaultModel
	}
	if err := p.reg.Set(list, def); err != nil {
		return err
	}
	inUse := make([]string, len(list))
	for i, pr := range list {
		inUse[i] = pr.Name()
	}
	p.log.Info("providers ready", "providers", strings.Join(inUse, ","), "default", def)
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

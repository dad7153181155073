// Package providers is the live set of LLM providers Holdfast chats
// with: the built-in demo, the ones config.toml names and the local
// servers (Ollama, LM Studio) found on loopback. It resolves model
// references for the chat service, lists models for GET /api/models, and
// is rebuilt as a whole whenever one of its sources changes.
package providers

import (
	"context"
	"fmt"
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

	// detect remembers what continuation "auto" found per server, across
	// rebuilds.
	detect *llm.DetectCache

	// mu serialises rebuilds and guards the sources they read.
	mu         sync.Mutex
	cfg        config.Config    // guarded by mu
	discovered []llm.Discovered // guarded by mu

	metaMu sync.RWMutex
	meta   map[string]providerMeta // guarded by metaMu; by provider name, set by rebuilds
}

// providerMeta is what the registry knows about a provider besides the
// provider itself.
type providerMeta struct {
	kind  string // demo | openai | anthropic
	local bool   // found on loopback, not configured
}

var (
	_ chat.Providers       = (*Registry)(nil)
	_ server.Models        = (*Registry)(nil)
	_ server.ProviderTools = (*Registry)(nil)
)

// New starts with the built-in demo provider only (demoTPS tokens per
// second, 0 = its default); Apply adds the configured ones and Discover
// the local servers found among candidates.
func New(demoTPS float64, keys KeySource, candidates []llm.Candidate, log *slog.Logger) *Registry {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Registry{reg: llm.NewRegistry(), demo: &llm.Demo{TokensPerSecond: demoTPS}, keys: keys, candidates: candidates, log: log,
		cfg: config.Default(), detect: llm.NewDetectCache(), meta: map[string]providerMeta{llm.DemoName: {kind: "demo"}}}
	// Cannot fail: one valid provider and a valid default.
	_ = r.reg.Set([]llm.Provider{r.demo}, config.DefaultModel)
	return r
}

// Resolve finds the provider for a model reference "<provider>/<model>"
// and the provider's own name for the model.
func (r *Registry) Resolve(ref string) (llm.Provider, string, error) { return r.reg.Resolve(ref) }

// DefaultModel is the model reference new chats use.
func (r *Registry) DefaultModel() string { return r.reg.Default() }

// Models lists every provider in use and its models, in provider order,
// and the default model. Each provider's server is asked for its models
// (concurrently, within modelsTimeout): one that does not answer is still
// listed, marked unreachable with the error, with its configured models.
func (r *Registry) Models(ctx context.Context) (server.ModelList, error) {
	ctx, cancel := context.WithTimeout(ctx, modelsTimeout)
	defer cancel()
	providers := r.reg.Providers()
	type result struct {
		info   server.ProviderInfo
		models []server.ModelInfo
	}
	results := make([]result, len(providers))
	var wg sync.WaitGroup
	for i, p := range providers {
		wg.Go(func() {
			meta := r.metaOf(p.Name())
			res := result{info: server.ProviderInfo{Name: p.Name(), Kind: meta.kind, Local: meta.local, Reachable: true}}
			demo := llm.IsDemo(p)
			// One request each: the server's list says whether it can be
			// reached; configured models, when there are any, are what is
			// offered.
			models := llm.ConfiguredModels(p)
			listed, lerr := llm.ListServerModels(ctx, p)
			if lerr != nil {
				res.info.Reachable, res.info.Error = false, lerr.Error()
			} else if models == nil {
				models = listed
			}
			for _, m := range models {
				label := m.Label
				if label == "" {
					label = m.ID
				}
				res.models = append(res.models, server.ModelInfo{ID: p.Name() + "/" + m.ID, Provider: p.Name(), Model: m.ID, Label: label, Demo: demo})
			}
			if lerr != nil {
				r.log.Debug("provider did not list its models", "provider", p.Name(), "err", lerr)
			}
			results[i] = res
		})
	}
	wg.Wait()
	out := server.ModelList{Default: r.reg.Default(), Models: []server.ModelInfo{}, Providers: make([]server.ProviderInfo, 0, len(results))}
	for _, res := range results {
		out.Providers = append(out.Providers, res.info)
		out.Models = append(out.Models, res.models...)
	}
	return out, nil
}

func (r *Registry) metaOf(name string) providerMeta {
	r.metaMu.RLock()
	defer r.metaMu.RUnlock()
	if m, ok := r.meta[name]; ok {
		return m
	}
	return providerMeta{kind: config.KindOpenAI}
}

// Continuations says how every provider in use continues an interrupted
// answer; providers set to "auto" whose server was not asked yet are
// asked now, concurrently, within ctx.
func (r *Registry) Continuations(ctx context.Context) []server.ProviderContinuation {
	providers := r.reg.Providers()
	out := make([]server.ProviderContinuation, len(providers))
	var wg sync.WaitGroup
	for i, p := range providers {
		wg.Go(func() {
			out[i] = server.ProviderContinuation{Name: p.Name(), Kind: r.metaOf(p.Name()).kind, Continuation: llm.ContinuationOf(ctx, p)}
		})
	}
	wg.Wait()
	return out
}

// Check tests the provider named name (see llm.Check).
func (r *Registry) Check(ctx context.Context, name, model string) (llm.CheckResult, error) {
	p, ok := r.reg.Provider(name)
	if !ok {
		return llm.CheckResult{}, fmt.Errorf("provider %q: %w", name, server.ErrNoProvider)
	}
	return llm.Check(ctx, p, model), nil
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
	meta := map[string]providerMeta{llm.DemoName: {kind: "demo"}}
	add := func(spec llm.Spec, local bool) {
		spec.Detect = r.detect
		pr, err := llm.NewProvider(spec)
		if err != nil {
			r.log.Warn("provider left out", "provider", spec.Name, "err", err)
			return
		}
		list = append(list, pr)
		names[spec.Name] = true
		meta[spec.Name] = providerMeta{kind: spec.Kind, local: local}
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
			// anthropic has no setting: it always continues by prefill.
			Continuation: continuationOf(cp),
		}, false)
	}
	for _, d := range r.discovered {
		if configured(r.cfg, d) {
			continue // the user's own entry for this server wins
		}
		spec := d.Spec()
		spec.Retry = retry
		add(spec, true)
	}
	def := r.cfg.DefaultModel
	if prov, _, ok := config.SplitModelRef(def); !ok || !names[prov] {
		def = config.DefaultModel
	}
	if err := r.reg.Set(list, def); err != nil {
		return err
	}
	r.metaMu.Lock()
	r.meta = meta
	r.metaMu.Unlock()
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

// continuationOf is the continuation setting an openai provider is built
// with; other kinds have none.
func continuationOf(cp config.Provider) string {
	if cp.Kind != config.KindOpenAI {
		return ""
	}
	return cp.Continuation
}

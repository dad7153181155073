package llm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Errors Registry.Resolve wraps.
var (
	ErrBadModelRef     = errors.New("a model reference must look like <provider>/<model>")
	ErrUnknownProvider = errors.New("no such provider")
)

// SplitModelRef splits "<provider>/<model>" at the first "/": provider
// names have none, model names may ("openrouter/meta-llama/llama-3-8b").
func SplitModelRef(ref string) (provider, model string, err error) {
	provider, model, ok := strings.Cut(ref, "/")
	if !ok || provider == "" || model == "" {
		return "", "", fmt.Errorf("model %q: %w", ref, ErrBadModelRef)
	}
	return provider, model, nil
}

// IsDemo reports whether p, or a provider it wraps, is the built-in demo
// (has a Demo() bool method returning true).
func IsDemo(p Provider) bool {
	for p != nil {
		if d, ok := p.(interface{ Demo() bool }); ok && d.Demo() {
			return true
		}
		u, ok := p.(interface{ Unwrap() Provider })
		if !ok {
			return false
		}
		p = u.Unwrap()
	}
	return false
}

// ModelEntry is one model as GET /api/models lists it.
type ModelEntry struct {
	ID       string `json:"id"` // the model reference, "<provider>/<model>"
	Provider string `json:"provider"`
	Model    string `json:"model"`
	Label    string `json:"label"`
	Demo     bool   `json:"demo"`
}

// Registry holds the named providers and the default model reference. It
// is safe for concurrent use; Set replaces everything at once, so a
// configuration change never shows a half-applied state.
type Registry struct {
	mu           sync.RWMutex
	providers    map[string]Provider
	order        []string
	defaultModel string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{providers: map[string]Provider{}}
}

// Set replaces all providers and the default model reference. It fails,
// changing nothing, on a nil provider, an invalid or duplicate name, or a
// default that is not a model reference. The default's provider need not
// be present: a local server may come and go.
func (r *Registry) Set(providers []Provider, defaultModel string) error {
	m := make(map[string]Provider, len(providers))
	order := make([]string, 0, len(providers))
	for i, p := range providers {
		if p == nil {
			return fmt.Errorf("set providers: provider %d is nil", i)
		}
		name := p.Name()
		if err := ValidateProviderName(name); err != nil {
			return fmt.Errorf("set providers: %w", err)
		}
		if _, dup := m[name]; dup {
			return fmt.Errorf("set providers: two providers are named %q", name)
		}
		m[name] = p
		order = append(order, name)
	}
	if _, _, err := SplitModelRef(defaultModel); err != nil {
		return fmt.Errorf("set providers: default %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.providers, r.order, r.defaultModel = m, order, defaultModel
	return nil
}

// Resolve turns a model reference into its provider and model name.
func (r *Registry) Resolve(ref string) (Provider, string, error) {
	name, model, err := SplitModelRef(ref)
	if err != nil {
		return nil, "", err
	}
	r.mu.RLock()
	p, ok := r.providers[name]
	r.mu.RUnlock()
	if !ok {
		return nil, "", fmt.Errorf("model %q: %w %q", ref, ErrUnknownProvider, name)
	}
	return p, model, nil
}

// Provider returns the provider with that name.
func (r *Registry) Provider(name string) (Provider, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.providers[name]
	return p, ok
}

// Providers returns the providers in the order they were set.
func (r *Registry) Providers() []Provider {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Provider, 0, len(r.order))
	for _, name := range r.order {
		out = append(out, r.providers[name])
	}
	return out
}

// Default returns the default model reference.
func (r *Registry) Default() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.defaultModel
}

// Models lists every provider's models, asking them concurrently, in
// provider order. A provider that fails does not hide the others: its
// error is joined into the returned error next to the models that were
// found.
func (r *Registry) Models(ctx context.Context) ([]ModelEntry, error) {
	providers := r.Providers()
	lists := make([][]ModelEntry, len(providers))
	errs := make([]error, len(providers))
	var wg sync.WaitGroup
	for i, p := range providers {
		wg.Go(func() {
			models, err := p.Models(ctx)
			if err != nil {
				errs[i] = fmt.Errorf("list models of %q: %w", p.Name(), err)
				return
			}
			demo := IsDemo(p)
			for _, m := range models {
				label := m.Label
				if label == "" {
					label = m.ID
				}
				lists[i] = append(lists[i], ModelEntry{
					ID: p.Name() + "/" + m.ID, Provider: p.Name(), Model: m.ID, Label: label, Demo: demo,
				})
			}
		})
	}
	wg.Wait()
	var out []ModelEntry
	for _, l := range lists {
		out = append(out, l...)
	}
	return out, errors.Join(errs...)
}

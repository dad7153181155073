package backend

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/server"
)

// Providers maps model references ("<provider>/<model>") to providers. It
// serves the chat service (Resolve) and GET /api/models (Models).
type Providers struct {
	mu       sync.RWMutex
	byName   map[string]llm.Provider
	order    []string
	defModel string
}

// NewProviders starts with the built-in demo provider only.
func NewProviders(demoTPS float64) *Providers {
	demo := &llm.Demo{TokensPerSecond: demoTPS}
	return &Providers{byName: map[string]llm.Provider{llm.DemoName: demo}, order: []string{llm.DemoName}, defModel: "demo/demo"}
}

// Resolve implements chat.Providers.
func (p *Providers) Resolve(ref string) (llm.Provider, string, error) {
	name, model, ok := strings.Cut(ref, "/")
	if !ok || model == "" {
		return nil, "", fmt.Errorf("model reference %q: want <provider>/<model>", ref)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	pr, found := p.byName[name]
	if !found {
		return nil, "", fmt.Errorf("no provider named %q is configured", name)
	}
	return pr, model, nil
}

// DefaultModel implements chat.Providers.
func (p *Providers) DefaultModel() string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.defModel
}

// Models implements server.Models: every provider's models, in order.
func (p *Providers) Models(ctx context.Context) ([]server.ModelInfo, string, error) {
	p.mu.RLock()
	names := append([]string(nil), p.order...)
	byName := p.byName
	def := p.defModel
	p.mu.RUnlock()
	var out []server.ModelInfo
	for _, name := range names {
		pr := byName[name]
		models, err := pr.Models(ctx)
		if err != nil {
			continue // an unreachable provider lists nothing; chatting says why
		}
		_, isDemo := pr.(interface{ Demo() bool })
		for _, m := range models {
			label := m.Label
			if label == "" {
				label = m.ID
			}
			out = append(out, server.ModelInfo{ID: name + "/" + m.ID, Provider: name, Model: m.ID, Label: label, Demo: isDemo})
		}
	}
	return out, def, nil
}

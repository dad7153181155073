package providers

import (
	"context"
	"strings"

	"github.com/holdfast-chat/holdfast/internal/llm"
)

// Discover looks for local servers among the candidates New was given and
// puts the ones found in use, replacing those found before. One runs at a
// time: the last one wins.
func (r *Registry) Discover(ctx context.Context) {
	r.discoverMu.Lock()
	defer r.discoverMu.Unlock()
	found := llm.Discover(ctx, r.candidates, llm.DefaultDiscoverTimeout)
	if ctx.Err() != nil {
		return
	}
	names := make([]string, len(found))
	for i, d := range found {
		names[i] = d.Name
	}
	r.log.Info("local servers", "found", strings.Join(names, ","))
	if err := r.setDiscovered(ctx, found); err != nil {
		r.log.Error("apply local servers", "err", err)
	}
}

package app

import (
	"context"
	"log/slog"

	"github.com/holdfast-chat/holdfast/internal/backend"
)

var _ Backend = (*backend.Backend)(nil)

// BackendOpener opens the real backend on the data folder home, with the
// environment's overrides (HOLDFAST_TOKEN, HOLDFAST_DEMO_TPS,
// HOLDFAST_HEARTBEAT), and starts it listening on loopback.
func BackendOpener(home, version string) OpenBackend {
	return func(ctx context.Context, log *slog.Logger) (Backend, error) {
		opts, err := backend.OptionsFromEnv(home)
		if err != nil {
			return nil, err
		}
		opts.Version, opts.Logger = version, log
		b, err := backend.Open(ctx, opts)
		if err != nil {
			return nil, err
		}
		if err := b.Start(ctx); err != nil {
			b.Close(context.WithoutCancel(ctx))
			return nil, err
		}
		return b, nil
	}
}

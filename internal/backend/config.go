package backend

import (
	"context"
	"fmt"

	"github.com/holdfast-chat/holdfast/internal/config"
	"github.com/holdfast-chat/holdfast/internal/providers"
	"github.com/holdfast-chat/holdfast/internal/settings"
)

// openConfig loads config.toml (writing the commented default on the first
// run), sets up the keys, the providers it names and the settings service.
// A file that cannot be used is reported, not fatal: the defaults apply
// until it is fixed. It returns the subscription startFollowing reads.
func (b *Backend) openConfig(ctx context.Context) (<-chan config.Change, error) {
	b.config = config.New(b.opts.Home, config.Options{Logger: b.log})
	b.keys = config.NewKeys(b.config, config.SystemKeychain(), config.KeysOptions{})
	b.providers = providers.New(b.opts.DemoTPS, b.keys, b.opts.Discover, b.log)
	b.settings = settings.New(b.config, b.keys, b.providers, configuredServer{b}, b.events, b.log)
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

// startFollowing reports the configuration's state as an event, starts
// following config.toml, and looks for local servers in the background so
// start-up never waits on them.
func (b *Backend) startFollowing(ctx context.Context, changes <-chan config.Change) {
	b.settings.Announce(ctx)
	b.bg.Go(func() { b.settings.Follow(b.bgCtx, changes) })
	if len(b.opts.Discover) > 0 {
		b.bg.Go(func() { b.providers.Discover(b.bgCtx) })
	}
}

// systemPrompt is config.toml's default system prompt, which new chats get
// when they do not set their own.
func (b *Backend) systemPrompt() string { return b.config.Current().SystemPrompt }

package settings

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/holdfast-chat/holdfast/internal/config"
	"github.com/holdfast-chat/holdfast/internal/server"
)

// This file is the Settings API (server.Settings): what the Settings
// screen reads and edits.

// Settings describes the configuration in force, the state of the file
// and the keys, without revealing any key.
func (s *Service) Settings(ctx context.Context) (server.SettingsView, error) {
	cfg := s.config.Current()
	v := server.SettingsView{
		Config:   publicConfig(cfg),
		Warnings: s.warnings(s.config.Warnings()),
		Keys:     make(map[string]config.KeyStatus, len(cfg.Providers)),
		Keychain: server.Keychain{Available: s.keys.Available(ctx), Warning: s.keys.Warning(ctx)},
	}
	if err := s.config.Err(); err != nil {
		v.Error = config.NewErrorReport(s.config.Path(), err)
	}
	for _, p := range cfg.Providers {
		v.Keys[p.Name] = s.keys.Status(ctx, p)
	}
	return v, nil
}

// EditConfig edits config.toml through edit, atomically. The change is in
// use when it returns; the follower also sees it and tells the windows.
func (s *Service) EditConfig(ctx context.Context, edit func(*config.Config) error) error {
	if err := s.config.Update(ctx, edit); err != nil {
		return err
	}
	return s.providers.Apply(ctx, s.config.Current())
}

// SetKey stores provider's API key (the keychain, else config.toml) and
// puts it in use.
func (s *Service) SetKey(ctx context.Context, provider, key string) (config.KeyStatus, error) {
	key = strings.TrimSpace(key)
	cur := s.config.Current()
	if _, ok := cur.Provider(provider); !ok {
		return config.KeyStatus{}, fmt.Errorf("set API key: %w %q", server.ErrNoProvider, provider)
	}
	// Check the key as config.toml's api_key is checked, which never
	// quotes it in a message.
	probe := cur.Clone()
	for i := range probe.Providers {
		if probe.Providers[i].Name == provider {
			probe.Providers[i].APIKey, probe.Providers[i].APIKeyRef = key, ""
		}
	}
	if err := probe.Validate(); err != nil {
		return config.KeyStatus{}, fmt.Errorf("set API key of %q: %w: %w", provider, server.ErrInvalidSettings, err)
	}
	st, err := s.keys.Set(ctx, provider, key)
	if err != nil {
		return config.KeyStatus{}, keyError(err)
	}
	return st, s.providers.Apply(ctx, s.config.Current())
}

// DeleteKey removes provider's API key wherever it is kept.
func (s *Service) DeleteKey(ctx context.Context, provider string) (config.KeyStatus, error) {
	if _, ok := s.config.Current().Provider(provider); !ok {
		return config.KeyStatus{}, fmt.Errorf("delete API key: %w %q", server.ErrNoProvider, provider)
	}
	if err := s.keys.Delete(ctx, provider); err != nil {
		return config.KeyStatus{}, keyError(err)
	}
	if err := s.providers.Apply(ctx, s.config.Current()); err != nil {
		return config.KeyStatus{}, err
	}
	p, _ := s.config.Current().Provider(provider)
	return s.keys.Status(ctx, p), nil
}

// keyError marks a failure to store a key, unless the file itself is the
// problem (a broken config.toml, which the user must fix first).
func keyError(err error) error {
	var ce *config.Error
	if errors.As(err, &ce) || errors.Is(err, config.ErrClosed) {
		return err
	}
	return fmt.Errorf("%w: %w", server.ErrKeyNotSaved, err)
}

// Discover looks for local servers now, puts the ones found in use and
// describes them.
func (s *Service) Discover(ctx context.Context) ([]server.LocalServer, error) {
	s.providers.Discover(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.providers.LocalServers(), nil
}

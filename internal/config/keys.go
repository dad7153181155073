package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/zalando/go-keyring"
)

// Keychain is the OS keychain as Keys needs it. SystemKeychain is the real
// one. Implementations return ErrNoKey when nothing is stored. Calls may
// block (a locked keychain asks the user); Keys bounds them with timeouts.
type Keychain interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// ErrNoKey means no API key is stored where the provider's configuration
// says it is.
var ErrNoKey = errors.New("no API key stored")

// SystemKeychain returns the OS keychain through go-keyring: the macOS
// Keychain, the Windows Credential Manager, or a Secret Service (GNOME
// Keyring, KWallet) over D-Bus on Linux, which many machines lack.
func SystemKeychain() Keychain { return systemKeychain{} }

type systemKeychain struct{}

func (systemKeychain) Get(service, user string) (string, error) {
	v, err := keyring.Get(service, user)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNoKey
	}
	return v, err
}

func (systemKeychain) Set(service, user, secret string) error {
	return keyring.Set(service, user, secret)
}

func (systemKeychain) Delete(service, user string) error {
	err := keyring.Delete(service, user)
	if errors.Is(err, keyring.ErrNotFound) {
		return ErrNoKey
	}
	return err
}

// KeysOptions tune Keys.
type KeysOptions struct {
	// Service is the keychain service name; "" means "holdfast". Entries
	// are stored under it with the provider name as the user.
	Service string
	// ProbeTimeout bounds the check for a keychain; 0 means 2s.
	ProbeTimeout time.Duration
	// Timeout bounds each keychain read or write; 0 means 15s, long enough
	// to type a password when the keychain asks to be unlocked.
	Timeout time.Duration
	// LookupEnv reads env:NAME references; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Keys stores and finds API keys: in the OS keychain where one is
// available, else in config.toml (mode 0600) with a warning for the UI.
// A key is never logged and never returned except by Get.
type Keys struct {
	m    *Manager
	kc   Keychain
	opts KeysOptions

	mu     sync.Mutex
	state  keychainState
	reason error
}

type keychainState int

const (
	keychainUnknown keychainState = iota
	keychainAvailable
	keychainMissing
)

// probeUser is looked up to find out whether a keychain answers at all.
const probeUser = "holdfast-keychain-probe"

// Key sources, as reported by KeyStatus.Source.
const (
	SourceKeychain = "keychain"
	SourceEnv      = "env"
	SourceFile     = "file"
)

// KeyStatus describes a provider's key without revealing it; it is what
// the front end may see.
type KeyStatus struct {
	HasKey  bool   `json:"has_key"`
	Source  string `json:"source,omitempty"`  // keychain | env | file
	Hint    string `json:"hint,omitempty"`    // Mask of the key
	Warning string `json:"warning,omitempty"` // e.g. the key is in the file in plain text
	Problem string `json:"problem,omitempty"` // why the key cannot be read
}

// NewKeys returns Keys editing m's configuration. kc may be nil: no
// keychain.
func NewKeys(m *Manager, kc Keychain, opts KeysOptions) *Keys {
	if opts.Service == "" {
		opts.Service = "holdfast"
	}
	if opts.ProbeTimeout <= 0 {
		opts.ProbeTimeout = 2 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	return &Keys{m: m, kc: kc, opts: opts}
}

// errKeychainSilent means the keychain did not answer in time; it may be
// waiting for the user to unlock it, so it is asked again next time.
var errKeychainSilent = errors.New("the system keychain did not answer in time (is it locked?)")

// call runs fn with a deadline. A keychain call cannot be cancelled, so on
// timeout its goroutine is left to finish on its own.
func (k *Keys) call(ctx context.Context, timeout time.Duration, fn func() (string, error)) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		v   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", errKeychainSilent
		}
		return "", ctx.Err()
	}
}

// available reports whether the keychain works. A definite answer is
// remembered; a timeout is not (the keychain may be waiting on an unlock
// prompt), and is returned as the error.
func (k *Keys) available(ctx context.Context) (bool, error) {
	k.mu.Lock()
	state, reason := k.state, k.reason
	k.mu.Unlock()
	switch {
	case state == keychainAvailable:
		return true, nil
	case state == keychainMissing:
		return false, reason
	case k.kc == nil:
		return k.remember(false, errors.New("no keychain configured"))
	}
	_, err := k.call(ctx, k.opts.ProbeTimeout, func() (string, error) {
		return k.kc.Get(k.opts.Service, probeUser)
	})
	switch {
	case err == nil, errors.Is(err, ErrNoKey):
		return k.remember(true, nil)
	case errors.Is(err, errKeychainSilent), ctx.Err() != nil:
		return false, err
	default:
		return k.remember(false, err)
	}
}

func (k *Keys) remember(ok bool, reason error) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.state, k.reason = keychainMissing, reason
	if ok {
		k.state = keychainAvailable
	}
	return ok, reason
}

// Available reports whether API keys go to the OS keychain.
func (k *Keys) Available(ctx context.Context) bool {
	ok, _ := k.available(ctx)
	return ok
}

// Warning returns the warning the UI shows when keys are kept in
// config.toml because there is no keychain, or "".
func (k *Keys) Warning(ctx context.Context) string {
	ok, err := k.available(ctx)
	switch {
	case ok:
		return ""
	case errors.Is(err, errKeychainSilent):
		return "The system keychain did not answer (it may be locked); API keys cannot be saved until it does."
	}
	return "No system keychain is available, so API keys are saved in config.toml in plain text, readable only by your user account."
}

// Set stores key as the API key of the named provider: in the keychain
// when there is one (config.toml then says api_key_ref = "keyring"), else
// in config.toml itself. If the keychain exists but does not answer, Set
// fails rather than fall back to plain text.
func (k *Keys) Set(ctx context.Context, provider, key string) (KeyStatus, error) {
	key = strings.TrimSpace(key) // pasted keys often end in a newline
	if err := checkKey(key); err != nil {
		return KeyStatus{}, fmt.Errorf("set API key of %q: %w", provider, err)
	}
	if _, ok := k.m.Current().Provider(provider); !ok {
		return KeyStatus{}, fmt.Errorf("set API key: no provider named %q", provider)
	}
	ok, err := k.available(ctx)
	if errors.Is(err, errKeychainSilent) || (err != nil && ctx.Err() != nil) {
		return KeyStatus{}, fmt.Errorf("set API key of %q: %w", provider, err)
	}
	if ok {
		if _, err := k.call(ctx, k.opts.Timeout, func() (string, error) {
			return "", k.kc.Set(k.opts.Service, provider, key)
		}); err != nil {
			return KeyStatus{}, fmt.Errorf("set API key of %q in the system keychain: %w", provider, err)
		}
	}
	err = k.m.Update(ctx, func(c *Config) error {
		p := findProvider(c, provider)
		if p == nil {
			return fmt.Errorf("no provider named %q", provider)
		}
		if ok {
			p.APIKeyRef, p.APIKey = KeyRefKeyring, ""
		} else {
			p.APIKeyRef, p.APIKey = "", key
		}
		return nil
	})
	if err != nil {
		return KeyStatus{}, fmt.Errorf("set API key of %q: %w", provider, err)
	}
	if ok {
		return KeyStatus{HasKey: true, Source: SourceKeychain, Hint: Mask(key)}, nil
	}
	return KeyStatus{HasKey: true, Source: SourceFile, Hint: Mask(key), Warning: k.Warning(ctx)}, nil
}

// checkKey rejects what cannot be an API key, without quoting it.
func checkKey(key string) error {
	switch {
	case key == "":
		return errors.New("the key is empty")
	case strings.Contains(key, "…"):
		return errors.New("the key is a masked copy (it contains \"…\"); paste the full key")
	case strings.IndexFunc(key, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return errors.New("the key contains spaces or control characters")
	}
	return nil
}

func findProvider(c *Config, name string) *Provider {
	for i := range c.Providers {
		if c.Providers[i].Name == name {
			return &c.Providers[i]
		}
	}
	return nil
}

// Get returns the API key of p, or "" when p has none configured (local
// servers need none). A key the configuration points to but that cannot
// be found is an error wrapping ErrNoKey, saying what to fix.
func (k *Keys) Get(ctx context.Context, p Provider) (string, error) {
	key, _, err := k.get(ctx, p)
	return key, err
}

func (k *Keys) get(ctx context.Context, p Provider) (key, source string, err error) {
	switch ref := p.APIKeyRef; {
	case ref == KeyRefKeyring:
		ok, aerr := k.available(ctx)
		if !ok {
			if p.APIKey != "" { // the file's key is the fallback without a keychain
				return p.APIKey, SourceFile, nil
			}
			return "", SourceKeychain, fmt.Errorf("provider %q keeps its API key in the system keychain, which is not available (%v); enter the key again in Settings: %w", p.Name, aerr, ErrNoKey)
		}
		v, err := k.call(ctx, k.opts.Timeout, func() (string, error) { return k.kc.Get(k.opts.Service, p.Name) })
		switch {
		case errors.Is(err, ErrNoKey) || (err == nil && v == ""):
			return "", SourceKeychain, fmt.Errorf("provider %q: no API key in the system keychain; add it in Settings: %w", p.Name, ErrNoKey)
		case err != nil:
			return "", SourceKeychain, fmt.Errorf("provider %q: read the API key from the system keychain: %w", p.Name, err)
		}
		return v, SourceKeychain, nil
	case strings.HasPrefix(ref, KeyRefEnvPrefix):
		name := strings.TrimPrefix(ref, KeyRefEnvPrefix)
		if v, ok := k.opts.LookupEnv(name); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v), SourceEnv, nil
		}
		return "", SourceEnv, fmt.Errorf("provider %q: environment variable %s is not set: %w", p.Name, name, ErrNoKey)
	}
	if p.APIKey == "" {
		return "", "", nil
	}
	return p.APIKey, SourceFile, nil
}

// Status describes p's key for the front end, without revealing it.
func (k *Keys) Status(ctx context.Context, p Provider) KeyStatus {
	key, source, err := k.get(ctx, p)
	st := KeyStatus{HasKey: key != "", Source: source, Hint: Mask(key)}
	if err != nil {
		st.Problem = err.Error()
	}
	if source == SourceFile {
		st.Warning = "This API key is saved in config.toml in plain text."
	}
	return st
}

// Delete forgets the API key of the named provider, in the keychain and in
// config.toml.
func (k *Keys) Delete(ctx context.Context, provider string) error {
	if ok, _ := k.available(ctx); ok {
		if _, err := k.call(ctx, k.opts.Timeout, func() (string, error) {
			return "", k.kc.Delete(k.opts.Service, provider)
		}); err != nil && !errors.Is(err, ErrNoKey) {
			return fmt.Errorf("delete API key of %q from the system keychain: %w", provider, err)
		}
	}
	err := k.m.Update(ctx, func(c *Config) error {
		p := findProvider(c, provider)
		if p == nil {
			return fmt.Errorf("no provider named %q", provider)
		}
		p.APIKeyRef, p.APIKey = "", ""
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete API key of %q: %w", provider, err)
	}
	return nil
}

package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// memKeychain is the in-memory stand-in for the OS keychain, the one part
// these tests cannot use for real.
type memKeychain struct {
	mu      sync.Mutex
	secrets map[string]string
}

func newMemKeychain() *memKeychain { return &memKeychain{secrets: map[string]string{}} }

func (k *memKeychain) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.secrets[service+"/"+user]
	if !ok {
		return "", ErrNoKey
	}
	return v, nil
}

func (k *memKeychain) Set(service, user, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.secrets[service+"/"+user] = secret
	return nil
}

func (k *memKeychain) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.secrets[service+"/"+user]; !ok {
		return ErrNoKey
	}
	delete(k.secrets, service+"/"+user)
	return nil
}

// brokenKeychain fails like go-keyring does without a Secret Service.
type brokenKeychain struct{}

var errNoService = errors.New("The name org.freedesktop.secrets was not provided by any .service files")

func (brokenKeychain) Get(string, string) (string, error) { return "", errNoService }
func (brokenKeychain) Set(string, string, string) error   { return errNoService }
func (brokenKeychain) Delete(string, string) error        { return errNoService }

// silentKeychain never answers, like a keychain waiting on an unlock
// prompt nobody answers.
type silentKeychain struct{ release chan struct{} }

func (k silentKeychain) Get(string, string) (string, error) { <-k.release; return "", ErrNoKey }
func (k silentKeychain) Set(string, string, string) error   { <-k.release; return nil }
func (k silentKeychain) Delete(string, string) error        { <-k.release; return nil }

// withProviders starts a Manager whose config has the named openai
// providers.
func withProviders(t *testing.T, names ...string) (*Manager, *logBuf) {
	t.Helper()
	m, log := startManager(t, t.TempDir(), testDebounce)
	err := m.Update(context.Background(), func(c *Config) error {
		for _, n := range names {
			c.Providers = append(c.Providers, Provider{Name: n, Kind: KindOpenAI})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, log
}

const secret = "sk-proj-KEYTEST0123456789abcdefWXYZ"

func TestKeysUseTheKeychain(t *testing.T) {
	ctx := context.Background()
	m, _ := withProviders(t, "openai")
	kc := newMemKeychain()
	keys := NewKeys(m, kc, KeysOptions{})
	if !keys.Available(ctx) || keys.Warning(ctx) != "" {
		t.Fatalf("keychain not detected: %q", keys.Warning(ctx))
	}
	st, err := keys.Set(ctx, "openai", "  "+secret+"\n")
	if err != nil {
		t.Fatal(err)
	}
	if st != (KeyStatus{HasKey: true, Source: SourceKeychain, Hint: "sk-…WXYZ"}) {
		t.Fatalf("status = %+v", st)
	}
	if v, _ := kc.Get("holdfast", "openai"); v != secret {
		t.Fatalf("keychain holds %q", v)
	}
	data, _ := os.ReadFile(m.Path())
	if bytes.Contains(data, []byte(secret)) || !bytes.Contains(data, []byte(`api_key_ref = "keyring"`)) {
		t.Fatalf("file:\n%s", data)
	}
	p, _ := m.Current().Provider("openai")
	if got, err := keys.Get(ctx, p); got != secret || err != nil {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if st := keys.Status(ctx, p); !st.HasKey || st.Source != SourceKeychain || st.Warning != "" {
		t.Fatalf("Status = %+v", st)
	}

	if err := keys.Delete(ctx, "openai"); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.Get("holdfast", "openai"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("key still in the keychain: %v", err)
	}
	p, _ = m.Current().Provider("openai")
	if got, err := keys.Get(ctx, p); got != "" || err != nil || p.APIKeyRef != "" {
		t.Fatalf("after Delete: Get = %q, %v; ref %q", got, err, p.APIKeyRef)
	}
}

func TestKeysWithoutKeychainUseTheFile(t *testing.T) {
	cases := []struct {
		name string
		kc   Keychain
	}{
		{"no keychain", nil},
		{"keychain without a service", brokenKeychain{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkFileFallback(t, tc.kc)
		})
	}
}

// checkFileFallback stores a key with kc unusable and checks it lands in
// config.toml (0600) with a warning.
func checkFileFallback(t *testing.T, kc Keychain) {
	t.Helper()
	ctx := context.Background()
	m, _ := withProviders(t, "openai")
	ch := subscribe(t, m)
	keys := NewKeys(m, kc, KeysOptions{ProbeTimeout: 5 * time.Second})
	if keys.Available(ctx) {
		t.Fatal("keychain reported available")
	}
	if w := keys.Warning(ctx); !strings.Contains(w, "config.toml") {
		t.Fatalf("warning = %q", w)
	}
	st, err := keys.Set(ctx, "openai", secret)
	if err != nil {
		t.Fatal(err)
	}
	if !st.HasKey || st.Source != SourceFile || st.Warning == "" || st.Hint != "sk-…WXYZ" {
		t.Fatalf("status = %+v", st)
	}
	data, _ := os.ReadFile(m.Path())
	if !bytes.Contains(data, []byte(`api_key = "`+secret+`"`)) {
		t.Fatalf("key not in the file:\n%s", data)
	}
	if fi, _ := os.Stat(m.Path()); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v", fi.Mode().Perm())
	}
	c := nextChange(t, ch)
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Message, "plain text") || c.Warnings[0].Line == 0 {
		t.Fatalf("warnings = %+v", c.Warnings)
	}
	p, _ := m.Current().Provider("openai")
	if got, err := keys.Get(ctx, p); got != secret || err != nil {
		t.Fatalf("Get = %q, %v", got, err)
	}
}

func TestKeysSilentKeychainNeverHangs(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	m, _ := withProviders(t, "openai")
	keys := NewKeys(m, silentKeychain{release}, KeysOptions{ProbeTimeout: 50 * time.Millisecond, Timeout: 50 * time.Millisecond})
	before, _ := os.ReadFile(m.Path())

	if _, err := keys.Set(ctx, "openai", secret); err == nil || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("Set = %v, want a keychain timeout", err)
	}
	after, _ := os.ReadFile(m.Path())
	if !bytes.Equal(before, after) {
		t.Fatal("the key went to the file although a keychain exists")
	}
	if w := keys.Warning(ctx); !strings.Contains(w, "did not answer") {
		t.Fatalf("warning = %q", w)
	}
	p := Provider{Name: "openai", Kind: KindOpenAI, APIKeyRef: KeyRefKeyring}
	if _, err := keys.Get(ctx, p); !errors.Is(err, ErrNoKey) {
		t.Fatalf("Get = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := keys.Set(cancelled, "openai", secret); !errors.Is(err, context.Canceled) {
		t.Fatalf("Set with a cancelled context = %v", err)
	}
}

func TestKeysResolveReferences(t *testing.T) {
	ctx := context.Background()
	m, _ := withProviders(t)
	kc := newMemKeychain()
	kc.Set("holdfast", "inchain", secret)
	env := map[string]string{"MY_KEY": secret}
	keys := NewKeys(m, kc, KeysOptions{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	cases := []struct {
		name    string
		p       Provider
		want    string
		source  string
		wantErr string
	}{
		{"keychain", Provider{Name: "inchain", APIKeyRef: KeyRefKeyring}, secret, SourceKeychain, ""},
		{"keychain without the key", Provider{Name: "other", APIKeyRef: KeyRefKeyring}, "", SourceKeychain, "no API key in the system keychain"},
		{"environment", Provider{Name: "e", APIKeyRef: "env:MY_KEY"}, secret, SourceEnv, ""},
		{"environment not set", Provider{Name: "e", APIKeyRef: "env:MISSING_KEY"}, "", SourceEnv, "MISSING_KEY is not set"},
		{"file", Provider{Name: "f", APIKey: secret}, secret, SourceFile, ""},
		{"no key needed", Provider{Name: "local"}, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := keys.Get(ctx, tc.p)
			if got != tc.want || (err == nil) != (tc.wantErr == "") || (err != nil && (!strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrNoKey))) {
				t.Fatalf("Get = %q, %v; want %q, %q", got, err, tc.want, tc.wantErr)
			}
			st := keys.Status(ctx, tc.p)
			if st.HasKey != (tc.want != "") || st.Source != tc.source || (tc.wantErr != "") != (st.Problem != "") {
				t.Fatalf("Status = %+v", st)
			}
		})
	}

	// Without a keychain, a provider set to "keyring" falls back to a key
	// kept in the file.
	noChain := NewKeys(m, nil, KeysOptions{})
	if got, err := noChain.Get(ctx, Provider{Name: "p", APIKeyRef: KeyRefKeyring, APIKey: secret}); got != secret || err != nil {
		t.Fatalf("fallback Get = %q, %v", got, err)
	}
	if _, err := noChain.Get(ctx, Provider{Name: "p", APIKeyRef: KeyRefKeyring}); !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), "not available") {
		t.Fatalf("Get without keychain or file key = %v", err)
	}
}

func TestKeysRejectBadInput(t *testing.T) {
	ctx := context.Background()
	m, _ := withProviders(t, "openai")
	keys := NewKeys(m, newMemKeychain(), KeysOptions{})
	for key, want := range map[string]string{
		"":              "empty",
		"sk-…WXYZ":      "masked copy",
		"sk-abc def123": "spaces",
	} {
		if _, err := keys.Set(ctx, "openai", key); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Set(%q) = %v, want %q", key, err, want)
		}
	}
	if _, err := keys.Set(ctx, "nobody", secret); err == nil || !strings.Contains(err.Error(), `no provider named "nobody"`) {
		t.Errorf("Set for an unknown provider = %v", err)
	}
}

// Keys must not show up in logs, Redacted copies, String, JSON, changes or
// errors, whatever path they take.
func TestKeysNeverLeak(t *testing.T) {
	ctx := context.Background()
	const (
		fileKey  = "sk-ant-FILEKEY0123456789abcdefghij"
		chainKey = "sk-proj-CHAINKEY0123456789abcdefgh"
		rawKey   = "sk-live-RAWKEY0123456789abcdefghij"
	)
	secrets := []string{fileKey, chainKey, rawKey, "FILEKEY0123", "CHAINKEY0123", "RAWKEY0123"}

	dir := t.TempDir()
	path := dir + "/" + FileName
	good := "[[providers]]\nname = \"anthropic\"\nkind = \"anthropic\"\napi_key = \"" + fileKey + "\"\n\n[[providers]]\nname = \"openai\"\nkind = \"openai\"\n"
	writeFile(t, path, good)
	m, log := startManager(t, dir, testDebounce)
	ch := subscribe(t, m)
	keys := NewKeys(m, newMemKeychain(), KeysOptions{})

	var outputs []string
	record := func(label string, v ...any) {
		for _, x := range v {
			outputs = append(outputs, label+": "+fmt.Sprintf("%v|%+v|%#v|%s", x, x, x, x))
			if b, err := json.Marshal(x); err == nil {
				outputs = append(outputs, label+" json: "+string(b))
			}
		}
	}
	logger := newLogger(log)

	// An edit with the key unquoted (a syntax error on its line), then
	// with a bad value elsewhere, then fixed.
	writeFile(t, path, strings.Replace(good, `"`+fileKey+`"`, rawKey, 1))
	c := nextChange(t, ch)
	record("syntax error", c.Err.Error(), c)
	logger.Info("change", "change", c, "err", c.Err)
	writeFile(t, path, strings.Replace(good, `kind = "openai"`, `kind = "openia"`, 1))
	c = nextChange(t, ch)
	record("value error", c.Err.Error(), c)
	writeFile(t, path, good)
	c = nextChange(t, ch)
	record("fixed", c, c.Warnings)
	logger.Info("change", "change", c, "config", c.Config, "provider", c.Config.Providers[0])

	if _, err := keys.Set(ctx, "openai", chainKey); err != nil {
		t.Fatal(err)
	}
	c = nextChange(t, ch)
	cfg := m.Current()
	p, _ := cfg.Provider("openai")
	record("after Set", c, cfg, cfg.Redacted(), cfg.String(), p, keys.Status(ctx, p), m.Warnings())
	a, _ := cfg.Provider("anthropic")
	record("file key", a, a.Redacted(), keys.Status(ctx, a))
	logger.Info("config", "config", cfg, "redacted", cfg.Redacted(), "provider", a)

	outputs = append(outputs, "log: "+log.String())
	for _, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%q leaked in %s", s, out)
			}
		}
	}
	// The redacted copies still say which key is there.
	if r := cfg.Redacted(); !strings.Contains(fmt.Sprint(r.Providers[0].APIKey), "…ghij") || r.Providers[0].APIKey == fileKey {
		t.Errorf("redacted key = %q, want a hint", r.Providers[0].APIKey)
	}
	if b, _ := json.Marshal(cfg.Redacted()); !bytes.Contains(b, []byte(`"api_key":"sk-…ghij"`)) {
		t.Errorf("JSON of the redacted config lost the hint: %s", b)
	}
	// Redacted returns a copy: the configuration in force keeps the key.
	if got, _ := keys.Get(ctx, a); got != fileKey {
		t.Errorf("Get after Redacted = %q", got)
	}
}

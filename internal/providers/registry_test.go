package providers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/holdfast-chat/holdfast/internal/config"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/server"
)

// lockedBuffer is a bytes.Buffer safe for the log handler and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newRegistry builds a Registry the way the backend does: config.toml (the
// given text) loaded from a data folder, its keys behind the real
// config.Keys (no keychain: go-keyring is pointed at a D-Bus socket that
// does not exist), and the configuration applied.
func newRegistry(t *testing.T, toml string, candidates []llm.Candidate) (*Registry, *lockedBuffer) {
	t.Helper()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, config.FileName), []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	logBuf := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := config.New(home, config.Options{Logger: log})
	if err := m.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := m.Err(); err != nil {
		t.Fatalf("config.toml: %v", err)
	}
	keys := config.NewKeys(m, config.SystemKeychain(), config.KeysOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	r := New(5000, keys, candidates, log)
	if err := r.Apply(context.Background(), m.Current()); err != nil {
		t.Fatal(err)
	}
	return r, logBuf
}

// fakeOllama answers the way a local Ollama does on its native tag list
// and its OpenAI-compatible model list.
func fakeOllama(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/tags":
			io.WriteString(w, `{"models":[{"name":"llama3.2:3b","model":"llama3.2:3b","size":2019393189,"details":{"family":"llama"}}]}`)
		case "/v1/models":
			io.WriteString(w, `{"object":"list","data":[{"id":"llama3.2:3b","object":"model","created":1700000000,"owned_by":"library"}]}`)
		case "/api/version":
			io.WriteString(w, `{"version":"0.13.5"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func modelIDs(t *testing.T, r *Registry) (map[string]bool, string) {
	t.Helper()
	list, err := r.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, m := range list.Models {
		ids[m.ID] = true
	}
	return ids, list.Default
}

// A local server found on loopback is put in use with its models; one
// that goes away hides no other provider.
func TestDiscoverPutsLocalServersInUse(t *testing.T) {
	ollama := fakeOllama(t)
	r, log := newRegistry(t, "", []llm.Candidate{
		{Name: "ollama", BaseURL: ollama.URL, Ollama: true},
		{Name: "lmstudio", BaseURL: "http://" + freeAddr(t)}, // nothing there
	})
	if got := r.LocalServers(); len(got) != 0 {
		t.Fatalf("local servers before Discover: %+v", got)
	}
	r.Discover(context.Background())

	found := r.LocalServers()
	if len(found) != 1 {
		t.Fatalf("found %+v; want only the fake Ollama", found)
	}
	if s := found[0]; s.Name != "ollama" || s.Kind != "openai" || s.BaseURL != ollama.URL+"/v1" ||
		len(s.Models) != 1 || s.Models[0] != "llama3.2:3b" || s.Configured {
		t.Errorf("found %+v", s)
	}
	ids, def := modelIDs(t, r)
	if !ids["ollama/llama3.2:3b"] || !ids["demo/demo"] || def != "demo/demo" {
		t.Errorf("models %v, default %q; want Ollama's and the demo, demo the default", ids, def)
	}
	if p, model, err := r.Resolve("ollama/llama3.2:3b"); err != nil || p.Name() != "ollama" || model != "llama3.2:3b" {
		t.Errorf("Resolve: %v %q %v", p, model, err)
	}
	if !strings.Contains(log.String(), "found=ollama") {
		t.Errorf("log does not say what was found:\n%s", log)
	}

	ollama.Close()
	ids, _ = modelIDs(t, r)
	if !ids["demo/demo"] || ids["ollama/llama3.2:3b"] {
		t.Errorf("models with Ollama gone: %v; want the demo still listed", ids)
	}
	r.Discover(context.Background())
	if got := r.LocalServers(); len(got) != 0 {
		t.Errorf("a second Discover with Ollama gone still has %+v", got)
	}
	if _, _, err := r.Resolve("ollama/llama3.2:3b"); err == nil {
		t.Error("Ollama still resolves after a Discover that did not find it")
	}
}

// A local server the user configured under its own name (by address,
// "localhost" or "127.0.0.1") is not listed twice: the configured entry
// wins.
func TestConfiguredProviderShadowsTheLocalServer(t *testing.T) {
	ollama := fakeOllama(t)
	localhostURL := strings.Replace(ollama.URL, "127.0.0.1", "localhost", 1)
	toml := fmt.Sprintf("[[providers]]\nname = \"mybox\"\nkind = \"openai\"\nbase_url = %q\n", localhostURL+"/v1")
	r, _ := newRegistry(t, toml, []llm.Candidate{{Name: "ollama", BaseURL: ollama.URL, Ollama: true}})
	r.Discover(context.Background())
	found := r.LocalServers()
	if len(found) != 1 || !found[0].Configured {
		t.Fatalf("found %+v; want Ollama marked as configured", found)
	}
	ids, _ := modelIDs(t, r)
	if !ids["mybox/llama3.2:3b"] || ids["ollama/llama3.2:3b"] {
		t.Errorf("models %v; want the server once, under the configured name", ids)
	}
}

// A default model whose provider is not there (a local server not
// running) falls back to the demo until the provider appears.
func TestDefaultModelFollowsItsProvider(t *testing.T) {
	ollama := fakeOllama(t)
	toml := "default_model = \"ollama/llama3.2:3b\"\n"
	r, _ := newRegistry(t, toml, []llm.Candidate{{Name: "ollama", BaseURL: ollama.URL, Ollama: true}})
	if got := r.DefaultModel(); got != config.DefaultModel {
		t.Fatalf("default before discovery %q; want %q", got, config.DefaultModel)
	}
	r.Discover(context.Background())
	if got := r.DefaultModel(); got != "ollama/llama3.2:3b" {
		t.Fatalf("default with Ollama found %q; want the configured one", got)
	}
}

// A provider whose key cannot be found is still built, so chatting with
// it says to set the key instead of "unknown model".
func TestProviderWithoutItsKeyIsKept(t *testing.T) {
	toml := "[[providers]]\nname = \"x\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodels = [\"gpt-fake\"]\napi_key_ref = \"env:HOLDFAST_TEST_NO_SUCH_KEY\"\n"
	r, log := newRegistry(t, toml, nil)
	if p, model, err := r.Resolve("x/gpt-fake"); err != nil || p.Name() != "x" || model != "gpt-fake" {
		t.Fatalf("Resolve: %v %q %v; want the provider built without a key", p, model, err)
	}
	if !strings.Contains(log.String(), "provider has no usable API key") {
		t.Errorf("the missing key is not logged:\n%s", log)
	}
}

func TestSameEndpoint(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1", true},
		{"http://localhost:11434/v1", "http://127.0.0.1:11434/v1", true},
		{"http://127.0.0.1:11434/v1/", "http://127.0.0.1:11434/v1", true},
		{"http://localhost/v1", "http://127.0.0.1/v1", true},
		{"http://127.0.0.1:1234/v1", "http://127.0.0.1:11434/v1", false},
		{"https://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1", false},
		{"http://127.0.0.1:11434", "http://127.0.0.1:11434/v1", false},
	}
	for _, tc := range cases {
		if got := sameEndpoint(tc.a, tc.b); got != tc.want {
			t.Errorf("sameEndpoint(%q, %q) = %v; want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// A provider whose server cannot be reached stays listed: marked
// unreachable with the error, with its configured models when it has
// some, so the model picker can say so instead of dropping it.
func TestUnreachableProvidersStayListed(t *testing.T) {
	gone := "http://" + freeAddr(t) + "/v1"
	ollama := fakeOllama(t)
	r, _ := newRegistry(t, fmt.Sprintf(`
[[providers]]
name = "configured"
kind = "openai"
base_url = %q
models = ["big-model"]

[[providers]]
name = "bare"
kind = "openai"
base_url = %q

[[providers]]
name = "up"
kind = "openai"
base_url = %q
continuation = "prefix"
`, gone, gone, ollama.URL+"/v1"), nil)
	list, err := r.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]int{}
	for i, p := range list.Providers {
		byName[p.Name] = i
	}
	want := []struct {
		name      string
		reachable bool
		kind      string
	}{{"demo", true, "demo"}, {"configured", false, "openai"}, {"bare", false, "openai"}, {"up", true, "openai"}}
	if len(list.Providers) != len(want) {
		t.Fatalf("providers %+v", list.Providers)
	}
	for i, w := range want {
		p := list.Providers[i]
		if p.Name != w.name || p.Reachable != w.reachable || p.Kind != w.kind {
			t.Errorf("provider %d = %+v; want %+v", i, p, w)
		}
		if !p.Reachable && !strings.Contains(p.Error, "connection refused") {
			t.Errorf("%s: error %q", p.Name, p.Error)
		}
	}
	ids := map[string]bool{}
	for _, m := range list.Models {
		ids[m.ID] = true
	}
	if !ids["configured/big-model"] || !ids["up/llama3.2:3b"] || !ids["demo/demo"] || len(ids) != 3 {
		t.Errorf("models %v", ids)
	}

	conts := map[string]llm.Continuation{}
	for _, c := range r.Continuations(context.Background()) {
		conts[c.Name] = c.Continuation
	}
	if c := conts["up"]; c.Mode != llm.ContinuePrefix || c.Setting != llm.ContinuePrefix {
		t.Errorf("configured continuation: %+v", c)
	}
	if c := conts["bare"]; c.CanContinue() || !c.Unsure {
		t.Errorf("unreachable auto: %+v", c)
	}
	if c := conts["demo"]; c.Mode != llm.ContinueNative {
		t.Errorf("demo: %+v", c)
	}
	if _, err := r.Check(context.Background(), "nope", ""); !errors.Is(err, server.ErrNoProvider) {
		t.Errorf("check of an unknown provider: %v", err)
	}
	// This fake lists models but has no chat endpoint: the test says so,
	// in the provider's own words.
	res, err := r.Check(context.Background(), "up", "")
	if err != nil || res.OK || res.Model != "llama3.2:3b" || len(res.Models) != 1 || !strings.Contains(res.Error, "404") || res.ErrorKind != "request" {
		t.Errorf("check: %+v %v", res, err)
	}
}

package llm

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// fakeLocal is a local server answering some paths with JSON; others 404.
func fakeLocal(t *testing.T, routes map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := routes[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

const ollamaTags = `{"models":[{"name":"llama3.2:3b","model":"llama3.2:3b","modified_at":"2025-01-01T00:00:00Z","size":2019393189,"digest":"a80c4f17acd5","details":{"format":"gguf","family":"llama","parameter_size":"3.2B","quantization_level":"Q4_K_M"}},{"name":"qwen2.5:7b","model":"qwen2.5:7b","size":4683087332,"digest":"845dbda0ea48","details":{}}]}`

const lmStudioModels = `{"object":"list","data":[{"id":"qwen2.5-7b-instruct","object":"model","owned_by":"organization_owner"}]}`

func TestDiscover(t *testing.T) {
	ollama := fakeLocal(t, map[string]string{"/api/tags": ollamaTags, "/v1/models": `{"object":"list","data":[]}`})
	ollamaV1Only := fakeLocal(t, map[string]string{"/v1/models": `{"object":"list","data":[{"id":"phi3:mini","object":"model"}]}`})
	lmstudio := fakeLocal(t, map[string]string{"/v1/models": lmStudioModels})
	emptyOllama := fakeLocal(t, map[string]string{"/api/tags": `{"models":[]}`})
	notAModelServer := fakeLocal(t, map[string]string{"/v1/models": `{"status":"ok"}`, "/api/tags": `{"hello":"world"}`})
	closed := closedPort(t)

	got := Discover(context.Background(), []Candidate{
		{Name: "ollama", BaseURL: ollama, Ollama: true},
		{Name: "closed", BaseURL: closed, Ollama: true},
		{Name: "lmstudio", BaseURL: lmstudio + "/v1/"},
		{Name: "other", BaseURL: notAModelServer, Ollama: true},
		{Name: "ollama-v1", BaseURL: ollamaV1Only, Ollama: true},
		{Name: "empty", BaseURL: emptyOllama, Ollama: true},
	}, 0)
	want := []Discovered{
		{Name: "ollama", Kind: ProviderOpenAI, BaseURL: ollama + "/v1", Models: []string{"llama3.2:3b", "qwen2.5:7b"}},
		{Name: "lmstudio", Kind: ProviderOpenAI, BaseURL: lmstudio + "/v1", Models: []string{"qwen2.5-7b-instruct"}},
		{Name: "ollama-v1", Kind: ProviderOpenAI, BaseURL: ollamaV1Only + "/v1", Models: []string{"phi3:mini"}},
		{Name: "empty", Kind: ProviderOpenAI, BaseURL: emptyOllama + "/v1", Models: []string{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Discover =\n%+v\nwant\n%+v", got, want)
	}
}

func TestDiscoverNothingListening(t *testing.T) {
	got := Discover(context.Background(), []Candidate{{Name: "ollama", BaseURL: closedPort(t), Ollama: true}, {Name: "lmstudio", BaseURL: closedPort(t)}}, 0)
	if len(got) != 0 {
		t.Errorf("Discover = %+v, want nothing", got)
	}
}

// A discovered server becomes a provider that lists and streams from it.
func TestDiscoveredBecomesAProvider(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/models":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(lmStudioModels))
		case "/v1/chat/completions":
			sse(oaRole, oaText("local answer"), oaFinish("stop"), oaDone)(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	found := Discover(context.Background(), []Candidate{{Name: "lmstudio", BaseURL: srv.URL}}, 0)
	if len(found) != 1 {
		t.Fatalf("Discover = %+v", found)
	}
	p, err := NewProvider(found[0].Spec())
	if err != nil {
		t.Fatal(err)
	}
	models, err := p.Models(context.Background())
	if err != nil || len(models) != 1 || models[0].ID != "qwen2.5-7b-instruct" || models[0].Provider != "lmstudio" {
		t.Fatalf("Models = %+v, %v", models, err)
	}
	text, _, err := streamAll(context.Background(), p, Request{Model: models[0].ID, Messages: []Message{{Role: "user", Content: "hi"}}})
	if err != nil || text != "local answer" {
		t.Errorf("Stream = %q, %v", text, err)
	}
}

func TestLoopbackRoot(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"http://127.0.0.1:11434", "http://127.0.0.1:11434", true},
		{"http://127.0.0.1:1234/v1/", "http://127.0.0.1:1234", true},
		{"http://localhost:1234/v1", "http://localhost:1234", true},
		{"http://[::1]:11434/", "http://[::1]:11434", true},
		{"http://127.8.9.10:80", "http://127.8.9.10:80", true},
		{"http://192.168.1.5:11434", "", false},
		{"http://ollama.example.com:11434", "", false},
		{"http://localhost.example.com:11434", "", false},
		{"ftp://127.0.0.1:21", "", false},
		{"127.0.0.1:11434", "", false},
	}
	for _, tt := range tests {
		got, ok := loopbackRoot(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("loopbackRoot(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

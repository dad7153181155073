package settings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/backend"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/sse"
)

// This file holds the test's parts: a real backend on loopback with its
// log captured, a client for its API and stream, and fake upstreams that
// speak OpenAI's and Ollama's wire formats byte for byte.

const testToken = "settings-test-token-0123456789"

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

type harness struct {
	t      *testing.T
	b      *backend.Backend
	home   string
	log    *lockedBuffer
	client *http.Client
	// seen collects every API response body and stream byte, so a test
	// can check that a secret never reached the front end.
	seen *lockedBuffer
}

type harnessOpts struct {
	home     string          // "" = a new temporary folder
	discover []llm.Candidate // nil = no discovery
	addr     string
	config   string // written as config.toml before the start when set
}

// noKeychain points go-keyring at a D-Bus socket that does not exist, so
// the real keychain probe fails as it does on a machine without a Secret
// Service, and nothing in the test touches a developer's real keychain.
func noKeychain(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
}

func startBackend(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	noKeychain(t)
	if o.home == "" {
		o.home = t.TempDir()
	}
	if o.config != "" {
		writeConfig(t, o.home, o.config)
	}
	if o.discover == nil {
		o.discover = []llm.Candidate{}
	}
	logBuf := &lockedBuffer{}
	b, err := backend.Open(context.Background(), backend.Options{
		Home: o.home, Token: testToken, DemoTPS: 5000, Version: "test", Addr: o.addr,
		Discover: o.discover,
		Logger:   slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		b.Close(context.Background())
		t.Fatal(err)
	}
	h := &harness{t: t, b: b, home: o.home, log: logBuf, seen: &lockedBuffer{},
		client: &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := b.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
		h.client.CloseIdleConnections()
	})
	return h
}

// checkNoLeaks fails the test if goroutines it started are still running
// a little after everything it opened was closed. Call it first in a test:
// cleanups run last-in first-out, so its check runs after all the others.
func checkNoLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				t.Errorf("%d goroutines left, %d before the test:\n%s", runtime.NumGoroutine(), before, buf[:n])
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func writeConfig(t *testing.T, home, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) do(method, path, body string) (int, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.b.BaseURL()+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	h.seen.Write(b)
	return resp.StatusCode, b
}

// api sends a request, wants the status and decodes the answer into out.
func (h *harness) api(method, path, body string, want int, out any) {
	h.t.Helper()
	code, b := h.do(method, path, body)
	if code != want {
		h.t.Fatalf("%s %s: %d %s; want %d", method, path, code, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			h.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

type modelList struct {
	Models []struct {
		ID   string `json:"id"`
		Demo bool   `json:"demo"`
	} `json:"models"`
	Default string `json:"default"`
}

func (m modelList) has(id string) bool {
	for _, x := range m.Models {
		if x.ID == id {
			return true
		}
	}
	return false
}

func (h *harness) models() modelList {
	h.t.Helper()
	var m modelList
	h.api("GET", "/api/models", "", 200, &m)
	return m
}

// eventually polls cond until it holds or the bound passes.
func eventually(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, bound)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type message struct {
	ID      string `json:"id"`
	Role    string `json:"role"`
	Content string `json:"content"`
	Status  string `json:"status"`
	Error   string `json:"error"`
	Model   string `json:"model"`
	Usage   *struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
	} `json:"usage"`
}

// chat starts a session on model and sends content; it returns the
// session id and the assistant message id.
func (h *harness) chat(model, content string) (string, string) {
	h.t.Helper()
	var sess struct{ ID string }
	h.api("POST", "/api/sessions", fmt.Sprintf(`{"model":%q}`, model), 201, &sess)
	var sent struct{ Assistant message }
	h.api("POST", "/api/sessions/"+sess.ID+"/messages", fmt.Sprintf(`{"content":%q,"client_id":"c-%d"}`, content, time.Now().UnixNano()), 201, &sent)
	return sess.ID, sent.Assistant.ID
}

// settled waits until the message leaves `streaming` and returns it as GET
// messages shows it.
func (h *harness) settled(sessionID, msgID string) message {
	h.t.Helper()
	var out message
	eventually(h.t, 10*time.Second, "answer "+msgID+" settles", func() bool {
		var page struct{ Messages []message }
		h.api("GET", "/api/sessions/"+sessionID+"/messages", "", 200, &page)
		for _, m := range page.Messages {
			if m.ID == msgID && m.Status != "streaming" {
				out = m
				return true
			}
		}
		return false
	})
	return out
}

// stream is one /api/events connection; events arrive on a channel.
type stream struct {
	events chan sse.Event
	cancel context.CancelFunc
	done   chan struct{}
}

// stream connects from the current head, so it sees exactly what happens
// from now on.
func (h *harness) stream() *stream {
	h.t.Helper()
	var health struct{ Head string }
	h.api("GET", "/api/health", "", 200, &health)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", h.b.BaseURL()+"/api/events?last_event_id="+health.Head, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := (&http.Client{Transport: h.client.Transport}).Do(req)
	if err != nil {
		cancel()
		h.t.Fatal(err)
	}
	s := &stream{events: make(chan sse.Event, 1024), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(s.events)
		defer resp.Body.Close()
		r := sse.NewReader(io.TeeReader(resp.Body, h.seen))
		for {
			ev, err := r.Next()
			if err != nil {
				return
			}
			s.events <- ev
		}
	}()
	h.t.Cleanup(func() {
		cancel()
		<-s.done
	})
	return s
}

// waitFor returns the first event of that type whose data passes match.
func (s *stream) waitFor(t *testing.T, typ string, bound time.Duration, match func(data string) bool) sse.Event {
	t.Helper()
	timer := time.NewTimer(bound)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatalf("stream ended while waiting for %s", typ)
			}
			if ev.Event == typ && (match == nil || match(ev.Data)) {
				return ev
			}
		case <-timer.C:
			t.Fatalf("no %s event within %s", typ, bound)
		}
	}
}

// fakeOpenAI is an OpenAI-compatible upstream: GET /v1/models and streamed
// chat completions in OpenAI's exact chunk format, ending in the usage
// chunk and `data: [DONE]`.
type fakeOpenAI struct {
	srv *httptest.Server
	// key, when set, is the API key the upstream wants. A wrong key gets
	// OpenAI's 401, which echoes the key it got, as OpenAI does in part.
	key string
	// failAfter, when set, makes answers stop with an in-stream error
	// object after that text.
	failAfter string

	mu    sync.Mutex
	auths []string
	reqs  []map[string]any
}

func newFakeOpenAI(t *testing.T, key string) *fakeOpenAI {
	f := &fakeOpenAI{key: key}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

const fakeAnswer = "Hello from the fake upstream."

func (f *fakeOpenAI) serve(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	switch {
	case r.Method == "GET" && r.URL.Path == "/v1/models":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"object":"list","data":[{"id":"gpt-fake","object":"model","created":1700000000,"owned_by":"test"}]}`)
	case r.Method == "POST" && r.URL.Path == "/v1/chat/completions":
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.auths = append(f.auths, auth)
		f.reqs = append(f.reqs, body)
		f.mu.Unlock()
		if f.key != "" && auth != "Bearer "+f.key {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			got, _ := json.Marshal("Incorrect API key provided: " + strings.TrimPrefix(auth, "Bearer ") + ".")
			fmt.Fprintf(w, `{"error":{"message":%s,"type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`, got)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		parts := []string{oaRole}
		if f.failAfter != "" {
			parts = append(parts, oaText(f.failAfter), `data: {"error":{"message":"The model is overloaded, try later","type":"server_error","param":null,"code":null}}`+"\n\n")
		} else {
			for _, tok := range llm.Tokenize(fakeAnswer) {
				parts = append(parts, oaText(tok))
			}
			parts = append(parts, oaFinish, oaUsage, "data: [DONE]\n\n")
		}
		for _, p := range parts {
			io.WriteString(w, p)
			w.(http.Flusher).Flush()
		}
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeOpenAI) requests() (auths []string, bodies []map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.auths...), append([]map[string]any(nil), f.reqs...)
}

const oaRole = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-fake","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n"

func oaText(s string) string {
	b, _ := json.Marshal(s)
	return `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-fake","choices":[{"index":0,"delta":{"content":` + string(b) + `},"finish_reason":null}],"usage":null}` + "\n\n"
}

const oaFinish = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-fake","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}` + "\n\n"

// The usage chunk: no choices, the token counts.
const oaUsage = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-fake","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}` + "\n\n"

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

// providerTOML is a [[providers]] entry for an OpenAI-compatible upstream.
func providerTOML(name, baseURL string, extra ...string) string {
	return fmt.Sprintf("[[providers]]\nname = %q\nkind = \"openai\"\nbase_url = %q\n%s\n", name, baseURL+"/v1", strings.Join(extra, "\n"))
}

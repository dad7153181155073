package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file holds the fake upstreams: real HTTP servers on loopback that
// write the providers' wire formats byte for byte.

// recorded is one request a fake upstream received.
type recorded struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// upstream answers its n-th request with the n-th handler (the last one
// repeats) and records every request.
type upstream struct {
	srv      *httptest.Server
	handlers []http.HandlerFunc

	mu   sync.Mutex
	reqs []recorded
}

func newUpstream(t *testing.T, handlers ...http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{handlers: handlers}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		n := len(u.reqs)
		u.reqs = append(u.reqs, recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
		u.mu.Unlock()
		u.handlers[min(n, len(u.handlers)-1)](w, r)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) URL() string { return u.srv.URL }

func (u *upstream) hits() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.reqs)
}

func (u *upstream) request(t *testing.T, i int) recorded {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if i >= len(u.reqs) {
		t.Fatalf("upstream got %d requests, want at least %d", len(u.reqs), i+1)
	}
	return u.reqs[i]
}

// sse answers 200 text/event-stream and writes each part raw, flushing
// after each so the client sees them as separate reads.
func sse(parts ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		for _, p := range parts {
			_, _ = io.WriteString(w, p)
			w.(http.Flusher).Flush()
		}
	}
}

// sseThenHang writes parts, then holds the response open until the client
// goes away, and closes gone when it has.
func sseThenHang(gone chan<- struct{}, parts ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sse(parts...)(w, r)
		<-r.Context().Done()
		close(gone)
	}
}

// hangBeforeHeaders never answers; it returns when the client goes away.
func hangBeforeHeaders(gone chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		close(gone)
	}
}

// status answers with a status, headers and a raw body.
func status(code int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

// cut hijacks the connection, writes a 200 event-stream answer by hand with
// raw as its body and closes the connection. chunked: the body is one
// chunk of a chunked answer that never gets its terminating chunk (the
// client sees an unexpected EOF); otherwise the answer is delimited by the
// close (the client sees a clean EOF).
func cut(raw string, chunked bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		if chunked {
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", len(raw), raw)
		} else {
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n%s", raw)
		}
		_ = buf.Flush()
	}
}

// OpenAI chat-completion chunks.

const oaRole = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-test","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n"

const oaDone = "data: [DONE]\n\n"

func oaText(s string) string {
	b, _ := json.Marshal(s)
	return `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-test","choices":[{"index":0,"delta":{"content":` + string(b) + `},"finish_reason":null}],"usage":null}` + "\n\n"
}

func oaFinish(reason string) string {
	return `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-test","choices":[{"index":0,"delta":{},"finish_reason":"` + reason + `"}],"usage":null}` + "\n\n"
}

func oaUsage(in, out int) string {
	return fmt.Sprintf(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-test","choices":[],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}`+"\n\n", in, out, in+out)
}

// Anthropic Messages stream events.

func anStart(inputTokens int) string {
	return fmt.Sprintf("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-test\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":%d,\"output_tokens\":1}}}\n\n", inputTokens)
}

const anBlockStart = "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"

const anPing = "event: ping\ndata: {\"type\": \"ping\"}\n\n"

func anText(s string) string {
	b, _ := json.Marshal(s)
	return "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":" + string(b) + "}}\n\n"
}

const anBlockStop = "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"

func anDelta(stopReason string, outputTokens int) string {
	return fmt.Sprintf("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":%q,\"stop_sequence\":null},\"usage\":{\"output_tokens\":%d}}\n\n", stopReason, outputTokens)
}

const anStop = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"

func anError(typ, msg string) string {
	return fmt.Sprintf("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":%q,\"message\":%q}}\n\n", typ, msg)
}

// Providers pointed at fakes.

// testTimeouts keep a broken test from hanging for the real defaults.
func testTimeouts() Timeouts {
	return Timeouts{Connect: 5 * time.Second, FirstToken: 10 * time.Second, Idle: 10 * time.Second}
}

func testSpec(kind, baseURL string) Spec {
	return Spec{Name: kind, Kind: kind, BaseURL: baseURL, APIKey: "sk-test-key", Timeouts: testTimeouts()}
}

func mustOpenAI(t *testing.T, s Spec) *OpenAI {
	t.Helper()
	p, err := NewOpenAI(s)
	if err != nil {
		t.Fatalf("NewOpenAI: %v", err)
	}
	return p
}

func mustAnthropic(t *testing.T, s Spec) *Anthropic {
	t.Helper()
	p, err := NewAnthropic(s)
	if err != nil {
		t.Fatalf("NewAnthropic: %v", err)
	}
	return p
}

// streamAll runs Stream and gathers what it emitted.
func streamAll(ctx context.Context, p Provider, req Request) (string, Result, error) {
	var sb strings.Builder
	res, err := p.Stream(ctx, req, func(c Chunk) error {
		sb.WriteString(c.Text)
		return nil
	})
	return sb.String(), res, err
}

// closedPort returns a loopback URL nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

// sleeps records the waits a RetryPolicy asked for, without waiting.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func waitClosed(t *testing.T, gone <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-gone:
	case <-time.After(time.Second):
		t.Fatalf("%s: the upstream request was still open a second later", what)
	}
}

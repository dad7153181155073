package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/sse"
)

// llamaFake stands in for llama.cpp's llama-server (build b10587, as
// captured against the real server; see docs/providers.md): it answers
// /props, lists one model, and streams a fixed answer token by token. A
// trailing assistant message is prefilled, as llama-server does by
// default, and its text is repeated at the start of the first delta, as
// llama-server does too. It runs in the test process, so it outlives the
// holdfast process the test kills.
type llamaFake struct {
	srv    *httptest.Server
	tokens []string
	pace   time.Duration

	mu     sync.Mutex
	posts  []string // the trailing assistant text of each answer request ("" for none)
	titles int      // title requests (after the first answer), kept apart from posts
}

func newLlamaFake(t *testing.T, tokens []string, pace time.Duration) *llamaFake {
	f := &llamaFake{tokens: tokens, pace: pace}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		switch r.URL.Path {
		case "/props":
			io.WriteString(w, `{"default_generation_settings":{"n_ctx":4096},"build_info":"b10587-3f545becc"}`)
		case "/v1/models":
			io.WriteString(w, `{"object":"list","data":[{"id":"tiny.gguf","object":"model","created":1,"owned_by":"llamacpp"}]}`)
		case "/v1/chat/completions":
			f.chat(w, r)
		default:
			w.WriteHeader(404)
			io.WriteString(w, `{"error":{"message":"File Not Found","type":"not_found_error","code":404}}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *llamaFake) chat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Messages []struct{ Role, Content string }
	}
	json.NewDecoder(r.Body).Decode(&req)
	// The chat's title request, sent once an answer completes, may come
	// before or after a test looks at the answer requests: counted apart.
	title := len(req.Messages) > 0 && req.Messages[0].Role == "system" && strings.HasPrefix(req.Messages[0].Content, "You name conversations")
	rest, prefill := f.tokens, ""
	if last := req.Messages[len(req.Messages)-1]; last.Role == "assistant" {
		prefill = last.Content
		acc := ""
		for i, tok := range f.tokens {
			if acc == prefill {
				rest = f.tokens[i:]
				break
			}
			acc += tok
		}
	}
	f.mu.Lock()
	if title {
		f.titles++
	} else {
		f.posts = append(f.posts, prefill)
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	send := func(delta, finish string) {
		fmt.Fprintf(w, `data: {"choices":[{"finish_reason":%s,"index":0,"delta":%s}],"created":1,"id":"c","model":"tiny.gguf","system_fingerprint":"b10587-3f545becc","object":"chat.completion.chunk"}`+"\n\n", finish, delta)
		w.(http.Flusher).Flush()
	}
	send(`{"role":"assistant","content":null}`, "null")
	for i, tok := range rest {
		if i == 0 {
			tok = prefill + tok // llama-server repeats the prefill
		}
		b, _ := json.Marshal(tok)
		send(`{"content":`+string(b)+`}`, "null")
		select {
		case <-time.After(f.pace):
		case <-r.Context().Done():
			return
		}
	}
	send(`{}`, `"stop"`)
	fmt.Fprintf(w, `data: {"choices":[],"created":1,"id":"c","model":"tiny.gguf","object":"chat.completion.chunk","usage":{"completion_tokens":%d,"prompt_tokens":30,"total_tokens":%d},"timings":{"predicted_n":%d}}`+"\n\ndata: [DONE]\n\n", len(rest), 30+len(rest), len(rest))
}

// TestKillMidStreamOpenAICompatible kills holdfast (SIGKILL) while an
// OpenAI-compatible server (llama.cpp-like, prefill) streams an answer.
// On the next start the answer is continued by prefill: the client that
// resumes from its last event id sees every delta once, in order, and the
// final text is the whole answer with the text from before the crash
// exactly once, although the server repeated it.
func TestKillMidStreamOpenAICompatible(t *testing.T) {
	bin := buildBinary(t)
	var tokens []string
	for i := 0; i < 60; i++ {
		tokens = append(tokens, fmt.Sprintf("word%02d ", i))
	}
	want := strings.Join(tokens, "")
	llama := newLlamaFake(t, tokens, 40*time.Millisecond)

	home, addr := t.TempDir(), freePort(t)
	cfg := fmt.Sprintf("default_model = \"llama/tiny.gguf\"\n\n[[providers]]\nname = \"llama\"\nkind = \"openai\"\nbase_url = %q\n", llama.srv.URL+"/v1")
	if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := serve(t, bin, home, addr, 1000)
	var health struct{ Epoch string }
	p.api(t, "GET", "/api/health", "", &health)
	var sess struct{ ID, Model string }
	p.api(t, "POST", "/api/sessions", `{}`, &sess)
	if sess.Model != "llama/tiny.gguf" {
		t.Fatalf("session model %q", sess.Model)
	}
	c := &client{t: t, lastID: health.Epoch + ":0", seen: map[int64]string{}}
	r := p.events(t, c.lastID)
	var sent struct{ Assistant struct{ ID string } }
	p.api(t, "POST", "/api/sessions/"+sess.ID+"/messages", `{"content":"count","client_id":"k1"}`, &sent)
	c.msgID = sent.Assistant.ID
	if err := c.read(r, func(sse.Event) bool { return c.nextIdx >= 10 }); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	if err := c.read(r, func(sse.Event) bool { return false }); err == nil {
		t.Fatal("stream survived SIGKILL")
	}
	r.Close()
	before := c.text.String()
	if before == "" || len(before) >= len(want) {
		t.Fatalf("killed at %d of %d chars; the test needs a mid-answer kill", len(before), len(want))
	}

	p2 := serve(t, bin, home, addr, 1000)
	r2 := p2.events(t, c.lastID)
	if err := c.read(r2, func(ev sse.Event) bool {
		return ev.Event == "message.completed" && strings.Contains(ev.Data, c.msgID)
	}); err != nil {
		t.Fatalf("after restart: %v\n%s", err, p2.stderr)
	}
	if c.text.String() != want || c.final != want {
		t.Fatalf("answer after kill + recovery:\n got %q\nwant %q", c.text.String(), want)
	}
	if n := strings.Count(c.final, before); n != 1 {
		t.Fatalf("the text from before the crash appears %d times", n)
	}
	llama.mu.Lock()
	posts := append([]string(nil), llama.posts...)
	titles := llama.titles
	llama.mu.Unlock()
	if titles > 1 {
		t.Fatalf("%d title requests; a chat is named once", titles)
	}
	if len(posts) != 2 || posts[0] != "" || posts[1] == "" || !strings.HasPrefix(want, posts[1]) || !strings.HasPrefix(posts[1], before) {
		t.Fatalf("chat requests with prefills %q; want a fresh one, then one continuing after %q", posts, before)
	}
	p2.cmd.Process.Signal(syscall.SIGTERM)
	<-p2.exited
}
